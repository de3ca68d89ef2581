"""Application forms declared per item as data, validated field by field.

A field: {"key", "label", "type", "required", "choices", "prefill", "max_length", "min", "max", "help"}.
Types: text, textarea, address, email, phone, id_number, credit_code, date, integer, decimal,
choice, multichoice, region, boolean, attachment (an attachment field names an uploaded material).
"""
import re
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from bohai.kernel.identities import validators
from bohai.kernel.identities.cleaning import identity_message

FIELD_TYPES = {"text", "textarea", "address", "email", "phone", "id_number", "credit_code", "date", "integer",
               "decimal", "choice", "multichoice", "region", "boolean", "attachment"}
DEFAULT_MAX_LENGTH = {"text": 200, "textarea": 4000, "address": 200, "email": 120}
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def clean_form(fields: list[dict], data: dict) -> dict:
    """The cleaned values (JSON-ready) or ValidationError naming each bad field in Chinese."""
    cleaned, problems = {}, {}
    for spec in fields:
        if spec["type"] == "attachment":
            continue  # attachments are materials, checked with the materials
        key = spec["key"]
        raw = data.get(key)
        if _is_empty(raw):
            if spec.get("required"):
                problems[key] = [_("“%(label)s”为必填项") % {"label": spec["label"]}]
            continue
        try:
            cleaned[key] = _clean_value(spec, raw)
        except ValidationError as error:
            problems[key] = [_("“%(label)s”：%(reason)s") % {"label": spec["label"], "reason": message}
                             for message in error.messages]
    if problems:
        raise ValidationError(problems)
    return cleaned


def _is_empty(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == []


def _clean_value(spec: dict, raw):
    cleaner = _CLEANERS[spec["type"]]
    return cleaner(spec, raw)


def _text(spec, raw):
    text = str(raw).strip()
    limit = spec.get("max_length") or DEFAULT_MAX_LENGTH.get(spec["type"], 200)
    if len(text) > limit:
        raise ValidationError(_("不能超过 %(limit)d 个字，现为 %(length)d 个字") % {"limit": limit, "length": len(text)})
    return text


def _email(spec, raw):
    text = _text(spec, raw)
    if not EMAIL.match(text):
        raise ValidationError(_("电子邮箱格式不正确"))
    return text


def _identity(validate, attribute: str | None):
    def clean(spec, raw):
        try:
            result = validate(str(raw))
        except validators.IdentityValidationError as error:
            raise ValidationError(identity_message(error))
        return getattr(result, attribute) if attribute else result
    return clean


def _date(spec, raw):
    try:
        return date.fromisoformat(str(raw).strip()).isoformat()
    except ValueError:
        raise ValidationError(_("日期格式应为 YYYY-MM-DD"))


def _number(kind):
    def clean(spec, raw):
        try:
            value = int(str(raw).strip()) if kind is int else Decimal(str(raw).strip())
        except (ValueError, InvalidOperation):
            raise ValidationError(_("应为整数") if kind is int else _("应为数字"))
        if kind is Decimal and not value.is_finite():
            raise ValidationError(_("应为数字"))
        if spec.get("min") is not None and value < Decimal(str(spec["min"])):
            raise ValidationError(_("不能小于 %(min)s") % {"min": spec["min"]})
        if spec.get("max") is not None and value > Decimal(str(spec["max"])):
            raise ValidationError(_("不能大于 %(max)s") % {"max": spec["max"]})
        return value if kind is int else str(value)
    return clean


def _choice(spec, raw):
    value = str(raw).strip()
    if value not in (spec.get("choices") or []):
        raise ValidationError(_("“%(value)s”不在可选项中") % {"value": value})
    return value


def _multichoice(spec, raw):
    values = raw if isinstance(raw, list) else [v for v in str(raw).split(",") if v.strip()]
    unknown = [str(v) for v in values if str(v).strip() not in (spec.get("choices") or [])]
    if unknown:
        raise ValidationError(_("“%(values)s”不在可选项中") % {"values": "、".join(unknown)})
    return [str(v).strip() for v in values]


def _region(spec, raw):
    from bohai.kernel.regions.models import Region

    key = str(raw).strip()
    if not Region.objects.filter(key=key).exists():
        raise ValidationError(_("区划代码 %(key)s 不存在") % {"key": key})
    return key


def _boolean(spec, raw):
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in ("true", "1", "on", "yes", "是"):
        return True
    if text in ("false", "0", "off", "no", "否"):
        return False
    raise ValidationError(_("应为 是 或 否"))


_CLEANERS = {
    "text": _text, "textarea": _text, "address": _text, "email": _email,
    "phone": _identity(validators.validate_mobile_phone, None),
    "id_number": _identity(validators.validate_resident_id, "number"),
    "credit_code": _identity(validators.validate_credit_code, "code"),
    "date": _date, "integer": _number(int), "decimal": _number(Decimal),
    "choice": _choice, "multichoice": _multichoice, "region": _region, "boolean": _boolean,
}


def check_declaration(fields: list[dict], *, item_code: str) -> None:
    """Refuse a malformed form declaration when the catalogue is loaded, not when a resident applies."""
    keys = set()
    for position, spec in enumerate(fields):
        where = f"{item_code}.form[{position}]"
        if spec.get("type") not in FIELD_TYPES:
            raise ValidationError({where: [_("未知字段类型 %(type)s") % {"type": spec.get("type")}]})
        if spec.get("key") in keys:
            raise ValidationError({where: [_("字段标识重复：%(key)s") % {"key": spec.get("key")}]})
        if spec["type"] in ("choice", "multichoice") and not spec.get("choices"):
            raise ValidationError({where: [_("选择题须列出可选项")]})
        keys.add(spec.get("key"))
