"""What each kind of import reads, how a row is cleaned, and how a batch is stored.

The driver (actions.import_file) is the same for every kind; an importer supplies the columns,
the cleaning of one row through the identity register's own cleaning functions, the key that
makes two rows the same record, one query for the keys already registered, and the bulk action.
"""
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Callable

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from bohai.kernel.identities import actions as identities
from bohai.kernel.identities import cleaning
from bohai.kernel.identities.models import LegalEntity, Person
from bohai.kernel.identities.validators import mask_phone, mask_resident_id
from bohai.kernel.regions.models import Region

from .models import ImportKind
from .sources import FileRefused, lost_precision


def mask_name(name: str) -> str:
    if len(name) <= 1:
        return "*" * len(name)
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_address(address: str) -> str:
    kept = len(address) // 2
    return address[:kept] + "*" * min(len(address) - kept, 8)


@dataclass(frozen=True)
class Column:
    field: str
    label: str
    aliases: tuple[str, ...]
    mask: Callable[[str], str] | None = None


def header_key(text: str) -> str:
    """Header cells are matched loosely: case, spaces, required-markers (*) and bracketed units ignored."""
    text = re.sub(r"[（(][^)）]*[)）]", "", str(text or ""))
    return re.sub(r"[\s*＊:：\ufeff]", "", text).lower()


class RegionLookup:
    """Every region by key, code and (where unambiguous) name, loaded with one query."""

    def __init__(self):
        self.by_text: dict[str, Region] = {}
        self.by_code: dict[str, Region] = {}
        names: dict[str, list[Region]] = {}
        for region in Region.objects.only("id", "key", "code", "name", "level", "path"):
            self.by_text[region.key] = region
            if region.code:
                self.by_code[region.code] = region
                self.by_text[region.code] = region
            names.setdefault(region.name, []).append(region)
        for name, regions in names.items():
            if len(regions) == 1:
                self.by_text.setdefault(name, regions[0])

    def find(self, text: str):
        """The region named, or the text itself (unknown: cleaning reports it), or None when blank."""
        if not text:
            return None
        return self.by_text.get(text.strip(), text.strip())


class Importer:
    kind: str
    columns: tuple[Column, ...]
    required: tuple[str, ...]
    key_field: str
    permission: str
    duplicate_in_register: str

    def __init__(self, actor):
        self.regions = RegionLookup()
        self.scope_paths = _scope_paths(actor, self.permission)

    def label(self, field: str) -> str:
        return next((str(c.label) for c in self.columns if c.field == field), field)

    def masked(self, field: str, value: str) -> str:
        column = next((c for c in self.columns if c.field == field), None)
        if not value or column is None or column.mask is None:
            return value
        return column.mask(value)

    def map_header(self, header: list[str]) -> dict[str, int]:
        """Field -> column position; raises FileRefused naming every missing required column."""
        positions: dict[str, int] = {}
        keys = [header_key(cell) for cell in header]
        for column in self.columns:
            wanted = {header_key(alias) for alias in column.aliases}
            position = next((i for i, key in enumerate(keys) if key in wanted), None)
            if position is not None:
                positions[column.field] = position
        missing = [c for c in self.columns if c.field in self.required and c.field not in positions]
        if missing:
            names = "、".join(f"“{c.label}”" for c in missing)
            raise FileRefused(_("缺少必需的列：%(names)s（第 1 行应为表头）") % {"names": names})
        return positions

    def check_scope(self, region: Region) -> None:
        if self.scope_paths is None or any(region.path.startswith(p) for p in self.scope_paths):
            return
        raise ValidationError({"region": [_("所属区划“%(name)s”不在您的权限范围内") % {"name": region.name}]})

    def clean(self, values: dict):
        """The record to store, from the row's texts by field; raises ValidationError({field: [reason]})."""
        raise NotImplementedError

    def key(self, record) -> str:
        """What makes two records the same one (the blind index, the credit code)."""
        raise NotImplementedError

    def existing(self, keys: list[str]) -> set[str]:
        """Those of the keys already registered: one query."""
        raise NotImplementedError

    def shown_key(self, record) -> str:
        """The record's key as a report may show it (masked where personal)."""
        raise NotImplementedError

    def store(self, records: list, *, actor, source: str) -> int:
        """Register the records through the register's bulk action; returns how many."""
        raise NotImplementedError


def _scope_paths(actor, permission: str) -> list[str] | None:
    """Region paths the actor may add records in; None = anywhere (superuser, CLI or system actor)."""
    if actor is None or isinstance(actor, str) or actor.is_superuser:
        return None
    return [region_path for region_path, _organisation in actor.scopes_for(permission)]


class PersonImporter(Importer):
    kind = ImportKind.PERSONS
    permission = "identities.add_person"
    key_field = "id_number"
    duplicate_in_register = gettext_lazy("该身份证号已登记")
    required = ("id_number", "name")
    columns = (
        Column("id_number", gettext_lazy("身份证号"), ("身份证号", "身份证号码", "公民身份号码", "id_number"), mask_resident_id),
        Column("name", gettext_lazy("姓名"), ("姓名", "name"), mask_name),
        Column("phone", gettext_lazy("手机号"), ("手机号", "手机号码", "手机", "联系电话", "phone"), mask_phone),
        Column("address", gettext_lazy("住址"), ("住址", "地址", "address"), mask_address),
        Column("region", gettext_lazy("所属区划"), ("所属区划", "区划", "region")),
    )

    def __init__(self, actor):
        super().__init__(actor)
        self.region_cache = {(None, code): region for code, region in self.regions.by_code.items()}

    def clean(self, values: dict) -> cleaning.PersonFields:
        refuse_lost_precision(values, "id_number")
        data = dict(values, region=self.regions.find(values.get("region", "")))
        fields = cleaning.clean_person(data, region_cache=self.region_cache)
        self.check_scope(fields.region)
        return fields

    def key(self, fields: cleaning.PersonFields) -> str:
        return fields.id_index

    def existing(self, keys: list[str]) -> set[str]:
        return set(Person.objects.filter(id_number_index__in=keys).values_list("id_number_index", flat=True))

    def shown_key(self, fields: cleaning.PersonFields) -> str:
        return mask_resident_id(fields.resident_id.number)

    def store(self, records: list, *, actor, source: str) -> int:
        return identities.register_persons_bulk(records, actor=actor, source=source)


class EntityImporter(Importer):
    kind = ImportKind.ENTITIES
    permission = "identities.add_legalentity"
    key_field = "credit_code"
    duplicate_in_register = gettext_lazy("该统一社会信用代码已登记")
    required = ("credit_code", "name")
    columns = (
        Column("credit_code", gettext_lazy("统一社会信用代码"), ("统一社会信用代码", "信用代码", "credit_code")),
        Column("name", gettext_lazy("名称"), ("名称", "企业名称", "单位名称", "主体名称", "name")),
        Column("legal_representative", gettext_lazy("法定代表人"),
               ("法定代表人", "法人代表", "负责人", "legal_representative"), mask_name),
        Column("phone", gettext_lazy("联系电话"), ("联系电话", "电话", "手机号", "phone"), mask_phone),
        Column("address", gettext_lazy("住所"), ("住所", "地址", "经营场所", "address")),
        Column("industry", gettext_lazy("行业"), ("行业", "所属行业", "industry")),
        Column("established_on", gettext_lazy("成立日期"), ("成立日期", "established_on")),
        Column("registered_capital", gettext_lazy("注册资本"), ("注册资本", "registered_capital")),
        Column("region", gettext_lazy("所属区划"), ("所属区划", "区划", "region")),
    )

    def clean(self, values: dict) -> LegalEntity:
        refuse_lost_precision(values, "credit_code")
        data = dict(values, region=self._region(values))
        errors: dict[str, list[str]] = {}
        try:
            cleaned = identities.clean_legal_entity(data)
        except ValidationError as error:
            errors.update(error.message_dict)
        extras = {}
        for field, parse in (("established_on", parse_date), ("registered_capital", parse_capital)):
            try:
                extras[field] = parse(values.get(field, ""), field)
            except ValidationError as error:
                errors.update(error.message_dict)
        if errors:
            raise ValidationError(errors)
        self.check_scope(cleaned["region"])
        entity = identities.legal_entity_from_values(cleaned)
        entity.established_on, entity.registered_capital = extras["established_on"], extras["registered_capital"]
        return entity

    def _region(self, values: dict):
        given = self.regions.find(values.get("region", ""))
        if given is not None:
            return given
        code = (values.get("credit_code") or "").strip().upper()
        return self.regions.by_code.get(code[2:8])

    def key(self, entity: LegalEntity) -> str:
        return entity.credit_code

    def existing(self, keys: list[str]) -> set[str]:
        return set(LegalEntity.objects.filter(credit_code__in=keys).values_list("credit_code", flat=True))

    def shown_key(self, entity: LegalEntity) -> str:
        return entity.credit_code  # public, like the entity's name

    def store(self, records: list, *, actor, source: str) -> int:
        return len(identities.register_legal_entities_bulk(records, actor=actor, source=source))


IMPORTERS: dict[str, type[Importer]] = {ImportKind.PERSONS: PersonImporter, ImportKind.ENTITIES: EntityImporter}


def importer_for(kind: str, actor) -> Importer:
    try:
        return IMPORTERS[kind](actor)
    except KeyError:
        raise ValidationError({"kind": [_("不支持的导入类别：%(kind)s") % {"kind": kind}]})


def refuse_lost_precision(values: dict, field: str) -> None:
    """A long number that Excel kept as a number has lost its last digits, even if it happens to validate."""
    if lost_precision(values.get(field, "")):
        raise ValidationError({field: [_("Excel 把该列存成了数值，长号码的末几位已丢失；请把该列设为“文本”格式后重新录入")]})


DATE_PATTERN = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T].*)?$")


def parse_date(text: str, field: str) -> date | None:
    text = (text or "").strip()
    if not text:
        return None
    match = DATE_PATTERN.match(text) or re.match(r"^(\d{4})(\d{2})(\d{2})$", text)
    try:
        value = date(*(int(part) for part in match.groups())) if match else None
    except ValueError:
        value = None
    if value is None:
        raise ValidationError({field: [_("日期“%(text)s”无法识别，应为 YYYY-MM-DD") % {"text": text}]})
    if value > timezone.localdate():
        raise ValidationError({field: [_("日期 %(date)s 晚于今天") % {"date": value.isoformat()}]})
    return value


def parse_capital(text: str, field: str) -> Decimal | None:
    text = (text or "").strip().replace(",", "").removesuffix("万元").removesuffix("万")
    if not text:
        return None
    try:
        value = Decimal(text).quantize(Decimal("0.01"))
    except InvalidOperation:
        raise ValidationError({field: [_("注册资本应为数字（单位：万元）")]})
    if value < 0 or value >= Decimal("1e12"):
        raise ValidationError({field: [_("注册资本超出范围")]})
    return value
