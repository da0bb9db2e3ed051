"""Protocols the engine needs; adapters implement them. Imports only ``domain``."""
