import json

from django.db import models


def canonical_json(value) -> str:
    """One text for one value: sorted keys, no spaces, UTF-8 characters as they are."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


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
