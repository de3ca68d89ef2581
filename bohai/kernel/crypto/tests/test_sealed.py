from django.db import connection

from bohai.kernel.crypto.sealed import SealedJSONField


def test_round_trip_and_ciphertext_only():
    field = SealedJSONField()
    stored = field.get_prep_value({"id_number": "130921199005011237", "name": "张明"})
    assert "130921199005011237" not in stored and "张明" not in stored
    assert field.to_python(stored) == {"id_number": "130921199005011237", "name": "张明"}
    assert field.from_db_value(stored, None, connection) == {"id_number": "130921199005011237", "name": "张明"}
    assert field.to_python("") == {}
