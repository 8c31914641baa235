"""Alembic migrations of the records schema; run them with `mediacheck db upgrade`."""
