"""Benchmarks of DanceBot against a floor on the same machine (make bench)."""
