"""The audit database (contract §17): SQLAlchemy models, engine, Alembic upgrade, audit log."""
