"""A JSON field stored SM4-encrypted: for documents that mix personal data into free structure
(an application form holds identity numbers and phones among its answers). Nothing can be queried
inside it; readers get the decoded value, the database and its backups only ciphertext."""
import json

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from .fields import decrypt, encrypt


class SealedJSONField(models.TextField):
    description = "JSON stored SM4-encrypted"

    def from_db_value(self, value, expression, connection):
        return self.to_python(value)

    def to_python(self, value):
        if value is None or isinstance(value, (dict, list)):
            return value
        if value == "":
            return {}
        return json.loads(decrypt(value))

    def get_prep_value(self, value):
        if value is None:
            return None
        return encrypt(json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False, sort_keys=True))

    def value_to_string(self, obj):
        return json.dumps(self.value_from_object(obj), cls=DjangoJSONEncoder, ensure_ascii=False)
