"""Reading township, community and grid files (CSV or GeoJSON) into checked divisions.

CSV columns: key and/or code, name, level, parent_key, optional lng, lat.
GeoJSON: a FeatureCollection whose features carry properties code (or key), name, level,
parent (the parent's key or code) and a Polygon/MultiPolygon geometry.

Bad rows are reported (line, field, reason) and left out; good rows go on. For GeoJSON
the "line" is the feature's number, counting from 1.
"""
import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

from django.utils.translation import gettext as _

from .geometry import area_km2, geometry_from_geojson, label_point, validity_problem
from .models import Level, Region
from .tree import LEVEL_RANK, Division, regions_by_key

IMPORTABLE_LEVELS = (Level.TOWNSHIP, Level.COMMUNITY, Level.GRID)
KEY_MAX, CODE_MAX, NAME_MAX = (Region._meta.get_field(name).max_length for name in ("key", "code", "name"))
REQUIRED_COLUMNS = ("name", "level", "parent_key")


@dataclass(frozen=True)
class RowError:
    line: int
    field: str
    reason: str


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def accepted(self) -> int:
        return self.created + self.updated + self.unchanged


@dataclass(frozen=True)
class Row:
    """One record of the file, before checking."""

    line: int
    key: str
    code: str
    name: str
    level: str
    parent: str
    lng: str = ""
    lat: str = ""
    geometry: dict | None = None


class InvalidRow(Exception):
    def __init__(self, field_name: str, reason: str):
        super().__init__(reason)
        self.field = field_name
        self.reason = reason


def read_rows(content: bytes, filename: str) -> list[Row]:
    text = _decode(content)
    if Path(filename).suffix.lower() in {".geojson", ".json"} or text.lstrip().startswith("{"):
        return _geojson_rows(text)
    return _csv_rows(text)


def _decode(content: bytes) -> str:
    # Spreadsheets saved in China are often GB18030 rather than UTF-8.
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return content.decode("gb18030")


def _csv_rows(text: str) -> list[Row]:
    reader = csv.DictReader(io.StringIO(text))
    _check_columns([name.strip().lower() for name in reader.fieldnames or []])
    rows = []
    for record in reader:
        value = {k.strip().lower(): (v or "").strip() for k, v in record.items() if k}
        rows.append(Row(
            line=reader.line_num, key=value.get("key", ""), code=value.get("code", ""), name=value.get("name", ""),
            level=value.get("level", ""), parent=value.get("parent_key", "") or value.get("parent", ""),
            lng=value.get("lng", ""), lat=value.get("lat", ""),
        ))
    return rows


def _check_columns(columns: list[str]) -> None:
    missing = [c for c in REQUIRED_COLUMNS if c not in columns and not (c == "parent_key" and "parent" in columns)]
    if "key" not in columns and "code" not in columns:
        missing.insert(0, "key/code")
    if missing:
        raise InvalidRow("file", _("CSV 缺少列：%(columns)s") % {"columns": "、".join(missing)})


def _geojson_rows(text: str) -> list[Row]:
    try:
        collection = json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidRow("file", _("不是有效的 JSON：第 %(line)s 行") % {"line": error.lineno}) from error
    if collection.get("type") != "FeatureCollection":
        raise InvalidRow("file", _("GeoJSON 应为 FeatureCollection"))
    rows = []
    for number, feature in enumerate(collection.get("features") or [], start=1):
        properties = {k: str(v if v is not None else "").strip() for k, v in (feature.get("properties") or {}).items()}
        rows.append(Row(
            line=number, key=properties.get("key", ""), code=properties.get("code", ""),
            name=properties.get("name", ""), level=properties.get("level", ""),
            parent=properties.get("parent", "") or properties.get("parent_key", ""), geometry=feature.get("geometry"),
        ))
    return rows


class RowChecker:
    """Checks rows against the database and the rows accepted before them.

    `visible`: the regions the actor may import under and update; one outside it reads
    as absent (as in the API), except that its code stays taken.
    """

    def __init__(self, rows: list[Row], visible, source: str):
        self.source = source
        references = [r.parent for r in rows] + [r.key for r in rows] + [r.code for r in rows]
        self.stored = regions_by_key(references, visible)
        self.stored_by_code = {r.code: r for r in self.stored.values() if r.code}
        self.taken = regions_by_key(references)  # by key, whatever the actor's scope
        self.taken_codes = {r.code: r.key for r in self.taken.values() if r.code}
        self.accepted: dict[str, Division] = {}
        self.accepted_by_code: dict[str, Division] = {}
        self.first_line: dict[str, int] = {}  # by key and by code of accepted rows
        self.failed_keys: set[str] = set()

    def check(self, row: Row) -> Division:
        try:
            division = self._division(row)
        except InvalidRow:
            self.failed_keys.update(k for k in (row.key, row.code) if k)
            raise
        self.accepted[division.key] = division
        if division.code:
            self.accepted_by_code[division.code] = division
        for identifier in (division.key, division.code):
            if identifier:
                self.first_line.setdefault(identifier, row.line)
        return division

    def _division(self, row: Row) -> Division:
        key, code = self._identity(row)
        level = self._level(row)
        existing = self.stored.get(key)
        if existing is not None and existing.level != level:
            raise InvalidRow("code", _("编码重复（已由“%(name)s”使用）") % {"name": existing.name})
        parent_key = self._parent(row, level)
        boundary, lng, lat, area = self._geometry(row)
        return Division(
            key=key, code=code, name=self._name(row), level=level, parent_key=parent_key,
            boundary=boundary, centroid_lng=lng, centroid_lat=lat, area_km2=area, source=self.source,
        )

    def _identity(self, row: Row) -> tuple[str, str | None]:
        key, code = row.key or row.code, row.code or None
        if not key:
            raise InvalidRow("key", _("缺少标识（key 或 code）"))
        if len(key) > KEY_MAX or (code and len(code) > CODE_MAX):
            raise InvalidRow("code", _("编码过长（标识最多 %(key)s 位，代码最多 %(code)s 位）") % {"key": KEY_MAX, "code": CODE_MAX})
        line = self.first_line.get(key) or (self.first_line.get(code) if code else None)
        if line:
            raise InvalidRow("code", _("编码重复（与第 %(line)s 行相同）") % {"line": line})
        holder = self.taken_codes.get(code) if code else None
        if (holder is not None and holder != key) or (key in self.taken and key not in self.stored):
            raise InvalidRow("code", _("编码重复（已被其他区划使用）"))
        return key, code

    def _name(self, row: Row) -> str:
        if not row.name:
            raise InvalidRow("name", _("缺少名称"))
        if len(row.name) > NAME_MAX:
            raise InvalidRow("name", _("名称过长（最多 %(max)s 字）") % {"max": NAME_MAX})
        return row.name

    def _level(self, row: Row) -> str:
        if row.level not in IMPORTABLE_LEVELS:
            choices = "、".join(f"{level}（{Level(level).label}）" for level in IMPORTABLE_LEVELS)
            raise InvalidRow("level", _("层级“%(level)s”无效，应为 %(choices)s") % {"level": row.level, "choices": choices})
        return row.level

    def _parent(self, row: Row, level: str) -> str:
        if not row.parent:
            raise InvalidRow("parent_key", _("缺少上级区划"))
        parent = self._accepted_parent(row.parent) or self._stored_parent(row.parent)
        if parent is None:
            if row.parent in self.failed_keys:
                raise InvalidRow("parent_key", _("上级区划“%(parent)s”所在行有误，未导入") % {"parent": row.parent})
            raise InvalidRow("parent_key", _("上级区划“%(parent)s”不存在") % {"parent": row.parent})
        if LEVEL_RANK[parent.level] >= LEVEL_RANK[level]:
            raise InvalidRow("level", _("层级“%(level)s”不能隶属于“%(parent)s”层级") % {
                "level": Level(level).label, "parent": Level(parent.level).label})
        return parent.key

    def _accepted_parent(self, reference: str) -> Division | None:
        return self.accepted.get(reference) or self.accepted_by_code.get(reference)

    def _stored_parent(self, reference: str) -> Region | None:
        return self.stored.get(reference) or self.stored_by_code.get(reference)

    def _geometry(self, row: Row) -> tuple[dict | None, float | None, float | None, float | None]:
        if row.geometry is not None:
            return _checked_boundary(row.geometry)
        if row.lng or row.lat:
            return None, _coordinate(row.lng, "lng", 180), _coordinate(row.lat, "lat", 90), None
        return None, None, None, None


def _checked_boundary(geojson) -> tuple[dict, float, float, float]:
    try:
        geometry = geometry_from_geojson(geojson)
    except Exception as error:  # shapely raises several types for malformed GeoJSON
        raise InvalidRow("geometry", _("几何图形无法解析（%(error)s）") % {"error": error}) from error
    problem = validity_problem(geometry)
    if problem:
        raise InvalidRow("geometry", problem)
    west, south, east, north = geometry.bounds
    if west < -180 or east > 180 or south < -90 or north > 90:
        raise InvalidRow("geometry", _("坐标超出经纬度范围（应为经度、纬度，单位为度）"))
    lng, lat = label_point(geometry)
    boundary = {"type": geojson["type"], "coordinates": geojson["coordinates"]}
    return boundary, lng, lat, round(area_km2(geometry), 4)


def _coordinate(text: str, field_name: str, limit: int) -> float:
    label = _("经度") if field_name == "lng" else _("纬度")
    try:
        value = float(text)
    except ValueError:
        raise InvalidRow(field_name, _("%(label)s应为数字") % {"label": label}) from None
    if not -limit <= value <= limit:
        raise InvalidRow(field_name, _("%(label)s应在 -%(limit)s 到 %(limit)s 之间") % {"label": label, "limit": limit})
    return value
