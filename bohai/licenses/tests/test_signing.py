"""Signing and verification: the round trip, and tampering behind the platform's back."""
import json
from datetime import timedelta

import pytest

from bohai.licenses import signing
from bohai.licenses.models import License, LicenseStatus, SigningKey
from bohai.licenses.verification import Verdict, verify_license

from .conftest import issue_id_card


def test_an_issued_licence_verifies_as_valid(id_card):
    result = verify_license(id_card.number)
    assert result.verdict == Verdict.VALID and result.is_valid
    assert result.license.pk == id_card.pk


def test_the_canonical_payload_is_sorted_compact_utf8_json(id_card):
    stored = License.objects.select_related("license_type").get(pk=id_card.pk)
    payload = signing.canonical_payload(stored)
    text = payload.decode("utf-8")
    data = json.loads(text)
    assert text == json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    assert data["holder_name"] == "张小明" and data["holder_id_number"] == stored.holder_id_number
    assert data["key_id"] == stored.signing_key_id and data["format"] == "bohai.license/1"
    assert "status" not in data
    assert signing.sm3_hex(payload) == stored.payload_digest


def test_the_signature_is_sm2_with_the_units_public_key(id_card):
    stored = License.objects.select_related("license_type", "signing_key").get(pk=id_card.pk)
    public_key = bytes.fromhex(stored.signing_key.public_key)
    payload = signing.canonical_payload(stored)
    assert signing.signature_matches(payload, stored.signature, public_key)
    assert not signing.signature_matches(payload + b" ", stored.signature, public_key)


def test_the_private_key_is_encrypted_at_rest(id_card):
    key = SigningKey.objects.get(key_id=id_card.signing_key_id)
    private_key = signing.decrypt_private_key(key.private_key_cipher)
    assert len(private_key) == 32 and private_key.hex() not in key.private_key_cipher


def test_one_key_per_unit(license_types, units, person):
    first = issue_id_card(person, units["cang_police"])
    second = issue_id_card(person, units["cang_police"])
    other = issue_id_card(person, units["qing_police"])
    assert first.signing_key_id == second.signing_key_id != other.signing_key_id
    assert SigningKey.objects.count() == 2


@pytest.mark.parametrize("change", [
    {"holder_name": "张大明"},
    {"extension": {**{"gender": "男", "ethnicity": "汉", "birth_date": "1988-05-17"}, "address": "别处"}},
    {"issue_date_shift": 1},
    {"valid_until_shift": 3650},
    {"number": "SFZ1309212026999999"},
    {"agency_name": "青县公安局"},
])
def test_a_field_changed_in_the_database_is_tampered(id_card, change):
    if "issue_date_shift" in change:
        change = {"issue_date": id_card.issue_date - timedelta(days=change["issue_date_shift"])}
    if "valid_until_shift" in change:
        change = {"valid_until": id_card.valid_until + timedelta(days=change["valid_until_shift"])}
    License.objects.filter(pk=id_card.pk).update(**change)
    number = change.get("number", id_card.number)
    assert verify_license(number).verdict == Verdict.TAMPERED


def test_a_changed_digest_and_a_foreign_signature_are_tampered(license_types, units, person, id_card):
    other = issue_id_card(person, units["cang_police"])
    License.objects.filter(pk=id_card.pk).update(signature=other.signature)
    assert verify_license(id_card.number).verdict == Verdict.TAMPERED
    License.objects.filter(pk=other.pk).update(payload_digest="0" * 64)
    assert verify_license(other.number).verdict == Verdict.TAMPERED


def test_a_key_pair_slipped_into_the_table_does_not_verify(id_card):
    """Whoever can write the database can make a key pair and re-sign; the seal needs the platform's secret."""
    public_key, private_key = signing.new_key_pair()
    key_id = signing.key_id_for(public_key)
    forged = SigningKey.objects.create(key_id=key_id, organisation=id_card.issuing_organisation,
                                       public_key=public_key.hex(), private_key_cipher="", seal="0" * 64,
                                       retired_at=id_card.signed_at)
    License.objects.filter(pk=id_card.pk).update(signing_key=forged, holder_name="李四")
    stored = License.objects.select_related("license_type").get(pk=id_card.pk)
    payload = signing.canonical_payload(stored)
    License.objects.filter(pk=id_card.pk).update(signature=signing.sign(payload, public_key, private_key),
                                                 payload_digest=signing.sm3_hex(payload))
    assert verify_license(id_card.number).verdict == Verdict.TAMPERED


def test_a_status_change_never_alters_the_signed_content(id_card):
    before = (id_card.signature, id_card.payload_digest)
    License.objects.filter(pk=id_card.pk).update(status=LicenseStatus.REVOKED, status_reason="测试")
    stored = License.objects.get(pk=id_card.pk)
    assert (stored.signature, stored.payload_digest) == before
    assert verify_license(id_card.number).verdict == Verdict.REVOKED


def test_an_unknown_number(db):
    assert verify_license("SFZ0000000000000000").verdict == Verdict.UNKNOWN
    assert verify_license("").verdict == Verdict.UNKNOWN


def test_numbers_are_read_forgivingly(id_card):
    spaced = f" {id_card.number[:4]}-{id_card.number[4:].lower()} "
    assert verify_license(spaced).verdict == Verdict.VALID
