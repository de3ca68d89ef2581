"""The database underneath every app: Bohai's SQLite backend and the lean INSERT of hot paths."""
