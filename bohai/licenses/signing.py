"""SM2 signatures over a licence's canonical serialisation.

The canonical serialisation (`canonical_payload`) is the UTF-8 bytes of one JSON object with
sorted keys and no whitespace (the audit trail's `canonical_json`), holding:

    format              "bohai.license/1" (changes if this list ever changes)
    identifier, number, name, type_code, type_version
    agency_name, agency_code, division_code
    issue_date, valid_from, valid_until    ISO dates "YYYY-MM-DD"; valid_until null when long-term
    holder_name, holder_id_type, holder_id_number    the number in clear: the signature vouches for it
    service_item_code, application_number
    extension           the type's own fields, every value a string
    key_id              the signing key, so a signature cannot be moved to another unit's key

Status, reasons and the annotated-copy fields are outside it: they change after issue.
The signature is SM2 (GB/T 32918) with SM3 and the default user id "1234567812345678",
DER-encoded, stored as Base64; the payload's SM3 digest is kept beside it.
"""
import base64
import functools
import hashlib

import gmssl_pyx

from bohai.kernel.audit.fields import canonical_json
from bohai.kernel.crypto.fields import constant_time_equal, decrypt, encrypt, index_key

PAYLOAD_FORMAT = "bohai.license/1"
SIGNER_ID = b"1234567812345678"


def canonical_payload(license) -> bytes:
    valid_until = license.valid_until
    return canonical_json({
        "format": PAYLOAD_FORMAT,
        "identifier": license.identifier,
        "number": license.number,
        "name": license.name,
        "type_code": license.license_type.code,
        "type_version": license.type_version,
        "agency_name": license.agency_name,
        "agency_code": license.agency_code,
        "division_code": license.division_code,
        "issue_date": license.issue_date.isoformat(),
        "valid_from": license.valid_from.isoformat(),
        "valid_until": valid_until.isoformat() if valid_until else None,
        "holder_name": license.holder_name,
        "holder_id_type": license.holder_id_type,
        "holder_id_number": license.holder_id_number,
        "service_item_code": license.service_item_code,
        "application_number": license.application_number,
        "extension": license.extension,
        "key_id": license.signing_key_id,
    }).encode("utf-8")


def sm3_hex(data: bytes) -> str:
    return hashlib.new("sm3", data).hexdigest()


# Keys ---------------------------------------------------------------------------------------

def new_key_pair() -> tuple[bytes, bytes]:
    """(public key 64 bytes, private key 32 bytes)."""
    return gmssl_pyx.sm2_key_generate()


def key_id_for(public_key: bytes) -> str:
    return sm3_hex(public_key)[:16].upper()


def key_seal(key_id: str, public_key_hex: str) -> str:
    message = f"licenses.signing-key|{key_id}|{public_key_hex}".encode()
    return gmssl_pyx.sm3_hmac(index_key(), message).hex()


def encrypt_private_key(private_key: bytes) -> str:
    return encrypt(private_key.hex())


def decrypt_private_key(cipher: str) -> bytes:
    return bytes.fromhex(decrypt(cipher))


class UntrustedKey(Exception):
    """The key's seal does not match: it was not made by this platform."""


def trusted_public_key(key_id: str, public_key_hex: str, seal: str) -> bytes:
    if key_id_for(bytes.fromhex(public_key_hex)) != key_id or not constant_time_equal(seal, key_seal(key_id, public_key_hex)):
        raise UntrustedKey(key_id)
    return bytes.fromhex(public_key_hex)


@functools.lru_cache(maxsize=4096)
def cached_public_key(key_id: str, public_key_hex: str, seal: str) -> bytes:
    """Checking the seal once per key and process keeps verification to the SM2 check itself."""
    return trusted_public_key(key_id, public_key_hex, seal)


# Signing and verifying ---------------------------------------------------------------------

def sign(payload: bytes, public_key: bytes, private_key: bytes) -> str:
    return base64.b64encode(gmssl_pyx.sm2_sign(private_key, public_key, payload, signer_id=SIGNER_ID)).decode("ascii")


def signature_matches(payload: bytes, signature: str, public_key: bytes) -> bool:
    try:
        raw = base64.b64decode(signature, validate=True)
        return bool(gmssl_pyx.sm2_verify(public_key, payload, raw, signer_id=SIGNER_ID))
    except (ValueError, gmssl_pyx.InvalidValueError, gmssl_pyx.GmsslInnerError):
        return False
