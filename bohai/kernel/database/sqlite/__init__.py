"""Django's SQLite backend, with writers taking turns on a file lock (see base.py)."""
