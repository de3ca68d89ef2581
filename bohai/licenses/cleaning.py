"""Checking what an issuer asks for before anything is signed; errors name the field, in Chinese."""
import calendar
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .models import HolderIdType, HolderKind, LicenseType

MAX_FIELD_LENGTH = 500
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Holder:
    name: str
    id_type: str
    id_number: str
    person: object = None
    entity: object = None


def clean_holder(license_type: LicenseType, person, entity) -> Holder:
    """Exactly one holder, of the kind the type is issued to."""
    errors = _holder_kind_errors(license_type, person, entity)
    if errors:
        raise ValidationError(errors)
    if person is not None:
        return Holder(person.name, HolderIdType.RESIDENT_ID, person.id_number, person=person)
    return Holder(entity.name, HolderIdType.CREDIT_CODE, entity.credit_code, entity=entity)


def _holder_kind_errors(license_type: LicenseType, person, entity) -> dict:
    names = {"name": license_type.name}
    if person is not None and entity is not None:
        return {"holder_entity": [_("一份证照只能有一个持证主体，请只选择自然人或法人之一")]}
    if person is None and entity is None:
        field = "holder_entity" if license_type.holder_kind == HolderKind.ENTITY else "holder_person"
        return {field: [_("请指定持证主体")]}
    if person is not None and license_type.holder_kind == HolderKind.ENTITY:
        return {"holder_person": [_("%(name)s只能颁发给法人或其他组织，不能颁发给自然人") % names]}
    if entity is not None and license_type.holder_kind == HolderKind.PERSON:
        return {"holder_entity": [_("%(name)s只能颁发给自然人，不能颁发给法人或其他组织") % names]}
    return {}


def clean_extension(license_type: LicenseType, values: dict) -> dict:
    """The type's own fields as strings; every required one present, no unknown ones."""
    values = values or {}
    declared = {field["key"]: field for field in license_type.fields}
    errors = {f"fields.{key}": [_("证照类型中没有此项")] for key in values if key not in declared}
    cleaned = {}
    for key, field in declared.items():
        try:
            value = _clean_value(field, values.get(key))
        except ValidationError as error:
            errors[f"fields.{key}"] = error.messages
            continue
        if value:
            cleaned[key] = value
    if errors:
        raise ValidationError(errors)
    return cleaned


def _clean_value(field: dict, raw) -> str:
    value = "" if raw is None else (raw.isoformat() if isinstance(raw, date) else str(raw)).strip()
    label = {"label": field["label"]}
    if not value:
        if field.get("required", True):
            raise ValidationError(_("请填写%(label)s") % label)
        return ""
    if len(value) > MAX_FIELD_LENGTH:
        raise ValidationError(_("%(label)s过长") % label)
    if field.get("type") == "date" and not _is_iso_date(value):
        raise ValidationError(_("%(label)s应为日期，格式 YYYY-MM-DD") % label)
    if field.get("type") == "number" and not _is_number(value):
        raise ValidationError(_("%(label)s应为数字") % label)
    return value


def _is_iso_date(value: str) -> bool:
    if not _ISO_DATE.match(value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _is_number(value: str) -> bool:
    try:
        return Decimal(value).is_finite()
    except InvalidOperation:
        return False


def clean_validity(license_type: LicenseType, issue_date: date, valid_from: date | None,
                   valid_until: date | None) -> tuple[date, date | None]:
    """The validity range: from the issue date for the type's number of years unless given."""
    start = valid_from or issue_date
    end = valid_until if valid_until is not None else years_after(start, license_type.validity_years)
    if end is not None and end < start:
        raise ValidationError({"valid_until": [_("有效期截止日期不能早于起始日期")]})
    return start, end


def years_after(start: date, years: int | None) -> date | None:
    if years is None:
        return None
    year = start.year + years
    return start.replace(year=year, day=min(start.day, calendar.monthrange(year, start.month)[1]))
