"""Verifying a licence by its number: is it ours, is it intact, is it valid today.

Intact means: the canonical serialisation recomputed from the stored record verifies against the
issuing unit's SM2 public key. Any field changed behind the platform's back (a raw UPDATE, a
restored old row) makes the licence "tampered", whatever its status says. Only an intact
licence's status and dates are believed.
"""
import functools
from dataclasses import dataclass

from django.db import connection, models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import signing
from .models import License, LicenseStatus, LicenseType, SigningKey


class Verdict(models.TextChoices):
    VALID = "valid", _("有效")
    NOT_YET_VALID = "not_yet_valid", _("尚未生效")
    EXPIRED = "expired", _("已过期")
    SEIZED = "seized", _("已暂扣")
    REVOKED = "revoked", _("已撤销")
    CANCELLED = "cancelled", _("已注销")
    TRANSFERRED = "transferred", _("已转出")
    REVOKED_BY_PENALTY = "revoked_by_penalty", _("已吊销")
    OTHER = "other", _("暂不可用")
    TAMPERED = "tampered", _("签名校验不通过")
    UNKNOWN = "unknown", _("未找到")


STATUS_VERDICTS = {
    LicenseStatus.VALID: Verdict.VALID,
    LicenseStatus.SEIZED: Verdict.SEIZED,
    LicenseStatus.REVOKED: Verdict.REVOKED,
    LicenseStatus.CANCELLED: Verdict.CANCELLED,
    LicenseStatus.EXPIRED: Verdict.EXPIRED,
    LicenseStatus.TRANSFERRED: Verdict.TRANSFERRED,
    LicenseStatus.REVOKED_BY_PENALTY: Verdict.REVOKED_BY_PENALTY,
    LicenseStatus.OTHER: Verdict.OTHER,
}

EXPLANATIONS = {
    Verdict.VALID: _("该证照由颁证单位签发，签名完整，当前有效。"),
    Verdict.NOT_YET_VALID: _("该证照签名完整，但尚未到有效期起始日期。"),
    Verdict.EXPIRED: _("该证照签名完整，但已超过有效期。"),
    Verdict.SEIZED: _("该证照已被颁证单位暂扣，暂扣期间不能使用。"),
    Verdict.REVOKED: _("该证照已被颁证单位撤销，不能使用。"),
    Verdict.CANCELLED: _("该证照已注销，不能使用。"),
    Verdict.TRANSFERRED: _("该证照已转出，请向转入地核验。"),
    Verdict.REVOKED_BY_PENALTY: _("该证照已被依法吊销，不能使用。"),
    Verdict.OTHER: _("该证照当前不可用，请联系颁证单位。"),
    Verdict.TAMPERED: _("证照记录与颁证单位的电子签名不符，内容可能被篡改，请勿采信，并联系颁证单位。"),
    Verdict.UNKNOWN: _("没有找到该编号的证照，请核对编号。"),
}


@dataclass(frozen=True)
class Verification:
    number: str
    verdict: str
    license: License | None = None

    @property
    def is_valid(self) -> bool:
        return self.verdict == Verdict.VALID

    @property
    def label(self) -> str:
        return str(Verdict(self.verdict).label)

    @property
    def explanation(self) -> str:
        return str(EXPLANATIONS[self.verdict])

    @property
    def is_trusted(self) -> bool:
        """The record's content may be shown: it exists and its signature holds."""
        return self.license is not None and self.verdict not in (Verdict.TAMPERED, Verdict.UNKNOWN)


def normalise_number(number: str) -> str:
    return "".join((number or "").split()).replace("-", "").upper()[:40]


def verify_license(number: str) -> Verification:
    number = normalise_number(number)
    license = stored_license(number) if number else None
    if license is None:
        return Verification(number, Verdict.UNKNOWN)
    if not is_intact(license):
        return Verification(number, Verdict.TAMPERED, license)
    return Verification(number, status_verdict(license), license)


def stored_license(number: str) -> License | None:
    """The licence with its type and signing key, by one fixed statement.

    The public page's hot path: compiling the ORM query (two joins, the model's ordering) cost more
    than the database's work and about as much as the SM2 check itself (measured in
    benchmarks/bench_licenses.py), as with identities.actions.find_person.
    """
    statement = _license_by_number_statement(connection.ops.quote_name)
    license = next(iter(License.objects.raw(statement, [number])), None)
    if license is not None:
        license.license_type = LicenseType(pk=license.license_type_id, code=license.joined_type_code)
        license.signing_key = SigningKey(key_id=license.signing_key_id, public_key=license.joined_public_key,
                                         seal=license.joined_seal, organisation_id=license.joined_key_unit)
    return license


@functools.lru_cache(maxsize=4)
def _license_by_number_statement(quote) -> str:
    def table(model):
        return quote(model._meta.db_table)

    def column(model, field):
        return quote(model._meta.get_field(field).column)

    return (
        f"SELECT l.*, t.{column(LicenseType, 'code')} AS joined_type_code, "
        f"k.{column(SigningKey, 'public_key')} AS joined_public_key, k.{column(SigningKey, 'seal')} AS joined_seal, "
        f"k.{column(SigningKey, 'organisation')} AS joined_key_unit "
        f"FROM {table(License)} l "
        f"JOIN {table(LicenseType)} t ON t.{column(LicenseType, 'id')} = l.{column(License, 'license_type')} "
        f"JOIN {table(SigningKey)} k ON k.{column(SigningKey, 'key_id')} = l.{column(License, 'signing_key')} "
        f"WHERE l.{column(License, 'number')} = %s"
    )


def is_intact(license: License) -> bool:
    key = license.signing_key
    try:
        public_key = signing.cached_public_key(key.key_id, key.public_key, key.seal)
    except (signing.UntrustedKey, ValueError):
        return False
    if key.organisation_id != license.issuing_organisation_id:
        return False
    payload = signing.canonical_payload(license)
    if signing.sm3_hex(payload) != license.payload_digest:
        return False
    return signing.signature_matches(payload, license.signature, public_key)


def status_verdict(license: License, today=None) -> str:
    """The standard status, with the dates applied to a licence still marked valid."""
    verdict = STATUS_VERDICTS.get(license.status, Verdict.OTHER)
    if verdict != Verdict.VALID:
        return verdict
    today = today or timezone.localdate()
    if license.valid_until is not None and license.valid_until < today:
        return Verdict.EXPIRED
    if license.valid_from > today:
        return Verdict.NOT_YET_VALID
    return Verdict.VALID


def mask_name(name: str) -> str:
    """张三 → 张*, 张小明 → 张*明, 欧阳小明 → 欧**明."""
    name = (name or "").strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def public_holder_name(license: License) -> str:
    """Persons are masked; an organisation's name is public (it is printed on its licence and in the registers)."""
    return mask_name(license.holder_name) if license.holder_person_id else license.holder_name
