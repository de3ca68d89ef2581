"""Actions of the licence library: issuing (signed with the unit's SM2 key), status changes, expiry,
and the reference licence types. Every one is audited; issuing and status changes publish events."""
import uuid
from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from bohai.kernel.audit.recording import record, snapshot
from bohai.kernel.audit.service import service_action
from bohai.kernel.crypto.fields import blind_index, encrypt
from bohai.kernel.events.outbox import publish
from bohai.kernel.identities.validators import mask_resident_id

from . import cleaning, reference, signing
from .models import License, LicenseSerial, LicenseStatus, LicenseType, SigningKey

# 行政审批局 issue many permits on behalf of the line departments (相对集中行政许可).
CONSOLIDATED_APPROVAL_FUNCTION = "administrative_approval"
EXPIRY_BATCH = 500


# Reference licence types ------------------------------------------------------------------------

@service_action
def load_license_types(*, actor) -> dict:
    """Create the reference licence types that are missing and update changed ones (idempotent).

    A type whose fields change gets the next version; licences keep the version they were issued with.
    """
    existing = {t.code: t for t in LicenseType.objects.all()}
    created = updated = 0
    for spec in reference.LICENSE_TYPES:
        values = _type_values(spec)
        known = existing.get(spec.code)
        if known is None:
            LicenseType.objects.create(code=spec.code, **values)
            created += 1
        elif any(getattr(known, name) != value for name, value in values.items()):
            if known.fields != values["fields"]:
                known.version += 1
            for name, value in values.items():
                setattr(known, name, value)
            known.save()
            updated += 1
    summary = {"created": created, "updated": updated, "total": len(reference.LICENSE_TYPES)}
    if created or updated:
        record(actor=actor, action="licenses.license_type.load_reference", target_type="licenses.licensetype",
               after=summary)
    return summary


def _type_values(spec: reference.LicenseTypeSpec) -> dict:
    return {"name": spec.name, "number_prefix": spec.number_prefix, "issuing_function": spec.issuing_function,
            "holder_kind": spec.holder_kind, "validity_years": spec.validity_years, "fields": list(spec.fields)}


# Signing keys --------------------------------------------------------------------------------------

@service_action
def ensure_signing_key(organisation, *, actor) -> SigningKey:
    """The unit's active SM2 key, generated on first use."""
    key = SigningKey.objects.filter(organisation=organisation, retired_at__isnull=True).first()
    if key is not None:
        return key
    public_key, private_key = signing.new_key_pair()
    key_id, public_hex = signing.key_id_for(public_key), public_key.hex()
    try:
        with transaction.atomic():
            key = SigningKey.objects.create(
                key_id=key_id, organisation=organisation, public_key=public_hex,
                private_key_cipher=signing.encrypt_private_key(private_key), seal=signing.key_seal(key_id, public_hex),
            )
    except IntegrityError:  # another issuer generated the unit's key at the same moment
        return SigningKey.objects.get(organisation=organisation, retired_at__isnull=True)
    record(actor=actor, action="licenses.signing_key.generate", target=key,
           after={"key_id": key_id, "organisation": organisation.key, "public_key": public_hex})
    return key


# Issuing ----------------------------------------------------------------------------------------------

@service_action
def issue_license(*, type_code: str, issuing_organisation, holder_person=None, holder_entity=None,
                  fields: dict | None = None, valid_from: date | None = None, valid_until: date | None = None,
                  service_item_code: str = "", application_number: str = "", actor) -> License:
    """Issue a licence: check it, number it, sign its canonical serialisation with the unit's SM2 key.

    The PDF is rendered on first download (pdf.license_pdf), not here: signing is what must not fail.
    """
    license_type = _license_type(type_code)
    _check_issuer(license_type, issuing_organisation)
    holder = cleaning.clean_holder(license_type, holder_person, holder_entity)
    extension = cleaning.clean_extension(license_type, fields)
    issue_date = timezone.localdate()
    start, end = cleaning.clean_validity(license_type, issue_date, valid_from, valid_until)
    key = ensure_signing_key(issuing_organisation, actor=actor)
    region = issuing_organisation.region
    division_code = division_code_of(region)
    license = License(
        identifier=str(uuid.uuid4()), number=_next_number(license_type, division_code, issue_date.year),
        name=license_type.name, license_type=license_type, type_version=license_type.version,
        issuing_organisation=issuing_organisation, agency_name=issuing_organisation.name,
        agency_code=issuing_organisation.credit_code or issuing_organisation.key, region=region,
        division_code=division_code, issue_date=issue_date, valid_from=start, valid_until=end,
        holder_name=holder.name, holder_id_type=holder.id_type, holder_id_cipher=encrypt(holder.id_number),
        holder_id_index=blind_index(holder.id_number), holder_id_masked=mask_resident_id(holder.id_number),
        holder_person=holder.person, holder_entity=holder.entity,
        service_item_code=(service_item_code or "").strip()[:64],
        application_number=(application_number or "").strip()[:64], extension=extension,
    )
    _sign(license, key)
    license.save()
    record(actor=actor, action="licenses.license.issue", target=license, after=snapshot(license))
    publish("licenses.issued", _event_payload(license))
    return license


def _license_type(type_code: str) -> LicenseType:
    license_type = LicenseType.objects.filter(code=type_code).first()
    if license_type is None:
        raise ValidationError({"type_code": [_("证照类型 %(code)s 不存在") % {"code": type_code}]})
    return license_type


def division_code_of(region) -> str:
    """The GB/T 2260 code of the unit's place; a functional zone has none and takes its city's."""
    while not region.code and region.parent_id:
        region = region.parent
    return region.code or region.key


def _check_issuer(license_type: LicenseType, organisation) -> None:
    if organisation is None:
        raise ValidationError({"issuing_organisation": [_("请指定颁证单位")]})
    if organisation.function not in (license_type.issuing_function, CONSOLIDATED_APPROVAL_FUNCTION):
        raise ValidationError({"issuing_organisation": [
            _("%(unit)s不是%(name)s的颁证部门") % {"unit": organisation.name, "name": license_type.name}]})


def _next_number(license_type: LicenseType, division_code: str, year: int) -> str:
    """Type prefix + division + year + a six-digit serial, e.g. YYZZ1309212026000123."""
    counter = LicenseSerial.objects.filter(license_type=license_type, division_code=division_code, year=year)
    if not counter.update(last=F("last") + 1, updated_at=timezone.now()):
        try:
            with transaction.atomic():
                LicenseSerial.objects.create(license_type=license_type, division_code=division_code, year=year, last=1)
        except IntegrityError:  # created by a concurrent issuer: count on from theirs
            counter.update(last=F("last") + 1, updated_at=timezone.now())
    serial = counter.values_list("last", flat=True).get()
    return f"{license_type.number_prefix}{division_code}{year}{serial:06d}"


def _sign(license: License, key: SigningKey) -> None:
    license.signing_key = key
    payload = signing.canonical_payload(license)
    license.payload_digest = signing.sm3_hex(payload)
    license.signature = signing.sign(payload, bytes.fromhex(key.public_key),
                                     signing.decrypt_private_key(key.private_key_cipher))
    license.signed_at = timezone.now()


def _event_payload(license: License) -> dict:
    return {
        "license_id": license.pk, "number": license.number, "type_code": license.license_type.code,
        "status": license.status, "holder_person_id": license.holder_person_id,
        "holder_entity_id": license.holder_entity_id, "issuing_organisation_id": license.issuing_organisation_id,
        "service_item_code": license.service_item_code, "application_number": license.application_number,
    }


# Status changes: the signed content never changes ------------------------------------------------------

TRANSITIONS = {
    "suspend": (LicenseStatus.SEIZED, {LicenseStatus.VALID}),
    "restore": (LicenseStatus.VALID, {LicenseStatus.SEIZED}),
    "revoke": (LicenseStatus.REVOKED, {LicenseStatus.VALID, LicenseStatus.SEIZED}),
    "cancel": (LicenseStatus.CANCELLED, {LicenseStatus.VALID, LicenseStatus.SEIZED, LicenseStatus.EXPIRED}),
    "revoke_by_penalty": (LicenseStatus.REVOKED_BY_PENALTY, {LicenseStatus.VALID, LicenseStatus.SEIZED}),
    "transfer_out": (LicenseStatus.TRANSFERRED, {LicenseStatus.VALID}),
}


@service_action
def suspend_license(license: License, *, reason: str, actor) -> License:
    """暂扣 (02): the licence stops being valid until restored."""
    return _change_status(license, "suspend", reason, actor)


@service_action
def restore_license(license: License, *, reason: str, actor) -> License:
    """Back to valid (01) from seized (02)."""
    return _change_status(license, "restore", reason, actor)


@service_action
def revoke_license(license: License, *, reason: str, actor) -> License:
    """撤销 (03): the licence should not have been issued."""
    return _change_status(license, "revoke", reason, actor)


@service_action
def cancel_license(license: License, *, reason: str, actor) -> License:
    """注销 (04): the licence ends (the holder gave it up, the entity was dissolved …)."""
    return _change_status(license, "cancel", reason, actor)


@service_action
def revoke_license_by_penalty(license: License, *, reason: str, actor) -> License:
    """吊销 (07): withdrawn as an administrative penalty."""
    return _change_status(license, "revoke_by_penalty", reason, actor)


@service_action
def transfer_license_out(license: License, *, reason: str, actor) -> License:
    """转出 (06): the record moved to another issuing place (a household register moving out …)."""
    return _change_status(license, "transfer_out", reason, actor)


def _change_status(license: License, change: str, reason: str, actor) -> License:
    target, allowed_from = TRANSITIONS[change]
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("请填写原因")]})
    license = License.objects.select_for_update(of=("self",)).select_related("license_type").get(pk=license.pk)
    if license.status not in allowed_from:
        raise ValidationError({"status": [_("证照当前状态为“%(status)s”，不能%(change)s") % {
            "status": license.get_status_display(), "change": CHANGE_LABELS[change]}]})
    before = snapshot(license)
    previous = license.status
    license.status, license.status_reason, license.status_changed_at = target, reason[:200], timezone.now()
    license.save(update_fields=["status", "status_reason", "status_changed_at", "updated_at"])
    record(actor=actor, action=f"licenses.license.{change}", target=license, before=before, after=snapshot(license))
    publish("licenses.status_changed", {**_event_payload(license), "previous_status": previous, "reason": reason[:200]})
    return license


CHANGE_LABELS = {"suspend": gettext_lazy("暂扣"), "restore": gettext_lazy("恢复"), "revoke": gettext_lazy("撤销"),
                 "cancel": gettext_lazy("注销"), "revoke_by_penalty": gettext_lazy("吊销"),
                 "transfer_out": gettext_lazy("转出")}


@service_action
def expire_due_licenses(*, actor) -> int:
    """Mark valid licences past their last valid day as expired (05); one audit record per batch."""
    today = timezone.localdate()
    due = list(License.objects.filter(status=LicenseStatus.VALID, valid_until__lt=today)
               .order_by("id").values_list("id", "number"))
    for start in range(0, len(due), EXPIRY_BATCH):
        _expire_batch(due[start:start + EXPIRY_BATCH], actor)
    return len(due)


def _expire_batch(batch: list[tuple[int, str]], actor) -> None:
    ids = [pk for pk, _number in batch]
    now = timezone.now()
    License.objects.filter(pk__in=ids, status=LicenseStatus.VALID).update(
        status=LicenseStatus.EXPIRED, status_reason=_("有效期届满"), status_changed_at=now, updated_at=now)
    record(actor=actor, action="licenses.license.expire", target_type="licenses.license",
           after={"count": len(batch), "first": batch[0][1], "last": batch[-1][1], "ids": ids})
    publish("licenses.expired", {"license_ids": ids})
