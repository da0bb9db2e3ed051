"""Operating the service: container probes, the worker's health check, Telegram webhook
registration, Redis backup and restore, the KPI report's weekly summary."""
