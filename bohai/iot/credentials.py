"""Device secrets: one random secret per device, used as the HTTP token (`X-Device-Token`) and as the MQTT
password (user name = device code). Bohai keeps only digests: SM3 for the HTTP check (looked up by an
8-character prefix, compared in constant time) and the PBKDF2-SHA512 `$7$` line that mosquitto 2 reads from
its password file, so that the broker itself refuses a wrong password.
"""
import base64
import hashlib
import secrets

from bohai.kernel.crypto.fields import constant_time_equal, sm3_hex

PREFIX_LENGTH = 8
MOSQUITTO_ITERATIONS = 101  # mosquitto_passwd's default for $7$ (PBKDF2-SHA512) hashes
MOSQUITTO_SALT_BYTES = 12


def new_secret() -> str:
    return secrets.token_urlsafe(24)


def token_digest(secret: str) -> str:
    return sm3_hex(secret.encode())


def token_matches(secret: str, digest: str) -> bool:
    return bool(digest) and constant_time_equal(digest, token_digest(secret))


def mosquitto_password_hash(secret: str, *, salt: bytes | None = None) -> str:
    salt = salt or secrets.token_bytes(MOSQUITTO_SALT_BYTES)
    derived = hashlib.pbkdf2_hmac("sha512", secret.encode(), salt, MOSQUITTO_ITERATIONS, dklen=64)
    return f"$7${MOSQUITTO_ITERATIONS}${base64.b64encode(salt).decode()}${base64.b64encode(derived).decode()}"
