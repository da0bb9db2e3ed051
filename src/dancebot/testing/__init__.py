"""Fake external services (Telegram, WhatsApp) for tests and benchmarks, and a helper to serve
any ASGI app on a real localhost port."""
