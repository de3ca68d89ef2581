"""Field-level validation of identity records, shared by the actions, the API and imports.

Each function returns cleaned values or raises django ValidationError({field: [message]})
with the message in the active language (Chinese by default).
"""
from dataclasses import dataclass
from functools import cached_property

from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext as _

from bohai.kernel.crypto.fields import blind_index
from bohai.kernel.regions.models import Region

from . import validators
from .models import EntityType

MAX_NAME = 50
MAX_ENTITY_NAME = 200
MAX_ADDRESS = 200

_ENTITY_TYPES_BY_PREFIX = {
    "91": EntityType.ENTERPRISE, "92": EntityType.INDIVIDUAL_BUSINESS, "93": EntityType.COOPERATIVE,
    "11": EntityType.GOVERNMENT_ORGAN, "12": EntityType.PUBLIC_INSTITUTION,
}


def identity_message(error: validators.IdentityValidationError) -> str:
    return error.message_en if translation.get_language() == "en" else error.message


def field_error(field: str, message: str) -> ValidationError:
    return ValidationError({field: [message]})


def clean_resident_id(value: str, field: str = "id_number") -> validators.ResidentId:
    try:
        return validators.validate_resident_id(value or "")
    except validators.IdentityValidationError as error:
        raise field_error(field, identity_message(error))


def clean_credit_code(value: str, *, allow_pilot_override: bool = False, field: str = "credit_code") -> validators.CreditCode:
    try:
        return validators.validate_credit_code(value or "", allow_pilot_override=allow_pilot_override)
    except validators.IdentityValidationError as error:
        raise field_error(field, identity_message(error))


def clean_phone(value: str, field: str = "phone") -> str:
    if not value:
        return ""
    try:
        return validators.validate_mobile_phone(value)
    except validators.IdentityValidationError as error:
        raise field_error(field, identity_message(error))


def clean_text(value: str, field: str, *, required: bool, max_length: int) -> str:
    text = (value or "").strip()
    if required and not text:
        raise field_error(field, _("必填"))
    if len(text) > max_length:
        raise field_error(field, _("不能超过 %(n)d 个字") % {"n": max_length})
    return text


def resolve_region(value, division_code: str | None, field: str = "region") -> Region:
    """The region given (object, key or code), else the one named by the identity's division code."""
    if isinstance(value, Region):
        return value
    if value:
        region = Region.objects.filter(key=str(value)).first() or Region.objects.filter(code=str(value)).first()
        if region is None:
            raise field_error(field, _("区划 %(value)s 不存在") % {"value": value})
        return region
    region = Region.objects.filter(code=division_code).first() if division_code else None
    if region is None:
        raise field_error(field, _("地址码 %(code)s 不是本市区划，请指定所属区划") % {"code": division_code})
    return region


def entity_type_for(code: validators.CreditCode) -> str:
    if code.entity_type.startswith("5"):
        return EntityType.SOCIAL_ORGANISATION
    return _ENTITY_TYPES_BY_PREFIX.get(code.entity_type, EntityType.OTHER)


@dataclass
class PersonFields:
    """A validated person, ready to be stored (plaintext still in memory only)."""

    resident_id: validators.ResidentId
    name: str
    phone: str
    address: str
    region: Region

    @cached_property
    def id_index(self) -> str:
        return blind_index(self.resident_id.number)


def clean_person(data: dict, *, region_cache: dict | None = None) -> PersonFields:
    """Validate every field; collect all field errors into one ValidationError."""
    errors: dict[str, list[str]] = {}
    values = {}
    checks = {
        "id_number": lambda: clean_resident_id(data.get("id_number", "")),
        "name": lambda: clean_text(data.get("name"), "name", required=True, max_length=MAX_NAME),
        "phone": lambda: clean_phone(data.get("phone", "")),
        "address": lambda: clean_text(data.get("address"), "address", required=False, max_length=MAX_ADDRESS),
    }
    for field, check in checks.items():
        try:
            values[field] = check()
        except ValidationError as error:
            errors.update(error.message_dict)
    if "id_number" in values:
        try:
            values["region"] = _cached_region(data.get("region"), values["id_number"].division_code, region_cache)
        except ValidationError as error:
            errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    return PersonFields(values["id_number"], values["name"], values["phone"], values["address"], values["region"])


def _cached_region(value, division_code, cache: dict | None) -> Region:
    if cache is None:
        return resolve_region(value, division_code)
    key = (value.pk if isinstance(value, Region) else value, division_code)
    if key not in cache:
        cache[key] = resolve_region(value, division_code)
    return cache[key]
