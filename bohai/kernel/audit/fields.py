import json

from django.db import models


_CANONICAL = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def canonical_json(value) -> str:
    """One text for one value: sorted keys, no spaces, UTF-8 characters as they are."""
    return _CANONICAL.encode(value)


class CanonicalJSONField(models.TextField):
    """JSON kept as canonical text, so that the hash chain reads the stored bytes without decoding
    (PostgreSQL's jsonb would reorder keys and lose the text that was hashed)."""

    def from_db_value(self, value, expression, connection):
        return None if value is None else json.loads(value)

    def to_python(self, value):
        return json.loads(value) if isinstance(value, str) else value

    def get_prep_value(self, value):
        return None if value is None else canonical_json(value)

    def value_to_string(self, obj):
        return self.get_prep_value(self.value_from_object(obj)) or ""


class AppendOnlyAutoField(models.BigAutoField):
    """The id of a table that rows are only ever appended to: on SQLite, the plain rowid.

    AUTOINCREMENT only keeps SQLite from reusing the ids of deleted rows, and pays for it with an
    update of sqlite_sequence on every insert; nothing is deleted from the audit trail.
    """

    def db_type_suffix(self, connection):
        return None if connection.vendor == "sqlite" else super().db_type_suffix(connection)
