import base64

from django.test import override_settings
from hypothesis import given, settings as hypothesis_settings
from hypothesis import strategies as st

from bohai.kernel.crypto.fields import blind_index, decrypt, encrypt


@hypothesis_settings(max_examples=200, deadline=None)
@given(st.text(min_size=1, max_size=300))
def test_sm4_round_trip_of_any_text(text):
    assert decrypt(encrypt(text)) == text


def test_same_value_encrypts_differently_each_time():
    first, second = encrypt("130902198001011234"), encrypt("130902198001011234")
    assert first != second  # a fresh IV per value: equal plaintexts are not linkable
    assert "130902198001011234" not in first


def decrypt_or_none(token: str):
    """A wrong key or a damaged token usually breaks the padding; either way no plaintext."""
    try:
        return decrypt(token)
    except Exception:
        return None


def test_ciphertext_depends_on_the_key():
    token = encrypt("13812345678")
    with override_settings(BOHAI_DATA_KEY="another key"):
        assert decrypt_or_none(token) != "13812345678"
    assert decrypt_or_none(token) == "13812345678"


def test_tampered_ciphertext_does_not_yield_the_plaintext():
    raw = bytearray(base64.b64decode(encrypt("34052419800101001X")))
    raw[-1] ^= 0x01
    assert decrypt_or_none(base64.b64encode(bytes(raw)).decode()) != "34052419800101001X"


def test_blind_index_is_deterministic_keyed_and_hides_the_value():
    assert blind_index("34052419800101001X") == blind_index("34052419800101001X")
    assert blind_index("34052419800101001X") != blind_index("34052419800101002X")
    with override_settings(BOHAI_INDEX_KEY="another key"):
        other = blind_index("34052419800101001X")
    assert other != blind_index("34052419800101001X")
    assert len(other) == 64


def test_empty_values_stay_empty():
    assert encrypt("") == "" and decrypt("") == "" and blind_index("") == ""
