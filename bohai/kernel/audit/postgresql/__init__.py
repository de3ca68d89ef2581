"""Django's PostgreSQL backend, with statements that can ride on the next one (see base.py)."""
