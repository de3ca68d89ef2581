"""The operations centre's API: vital signs (latest, history, per county, per department), the clustered device
map and the live alarm list. Every answer stays within the caller's scope; a county outside it answers 404."""
from datetime import datetime
from typing import Literal

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from bohai.kernel.regions.models import Region

from . import clusters as map_layer
from . import readings
from .live import alarm_feed
from .places import COUNTY_LEVELS

router = Router()


class SignOut(Schema):
    code: str
    name: str
    unit: str
    good_direction: str
    description: str
    at: datetime | None
    value: float | None
    grade: str
    detail: dict
    trend: list[tuple[datetime, float | None]] = Field(..., description="最近 24 小时的 (时间, 数值)")


class PointOut(Schema):
    at: datetime
    value: float | None


class CountyValueOut(Schema):
    key: str
    name: str
    value: float | None
    grade: str
    detail: dict
    at: datetime


class DepartmentValueOut(Schema):
    organisation: str
    organisation_id: int
    value: float | None
    detail: dict
    at: datetime


class MapQuery(Schema):
    bbox: str = Field(..., description="west,south,east,north（经纬度，GCJ-02）", examples=["115.7,37.5,117.9,38.9"])
    zoom: float = Field(..., ge=0, le=22, description="地图缩放级别（256 像素瓦片意义上）")
    type: str | None = Field(None, description="只看某一设备类型（编码）")
    county: str | None = Field(None, description="只看某一县（市、区）（区划标识）")


class AlarmOut(Schema):
    id: int
    severity: str
    severity_label: str
    state: str
    state_label: str
    subject: str
    subject_id: int
    code: str = Field(..., description="设备编码")
    link: str
    metric: str
    message: str
    region: str
    lng: float | None
    lat: float | None
    raised_at: datetime
    value: float | None


class AlarmFeedOut(Schema):
    at: datetime
    total: int
    alarms: list[AlarmOut]


def county_id(key: str | None) -> int | None:
    if not key:
        return None
    return get_object_or_404(Region.objects.defer("boundary"), key=key, level__in=COUNTY_LEVELS).pk


def county_path(key: str | None) -> str | None:
    if not key:
        return None
    return get_object_or_404(Region.objects.defer("boundary"), key=key, level__in=COUNTY_LEVELS).path


@router.get("/signs", response=list[SignOut], summary="城市体征最新值（全市或一个县）", url_name="ops_signs")
def signs(request, county: str | None = None):
    return [{
        "code": now.sign.code, "name": now.sign.name, "unit": now.sign.unit, "good_direction": now.sign.good_direction,
        "description": now.sign.description, "at": now.at, "value": now.value, "grade": now.grade,
        "detail": now.detail, "trend": now.trend,
    } for now in readings.signs_now(request.user, county_id(county))]


@router.get("/signs/{code}/history", response=list[PointOut], summary="一项体征的历史", url_name="ops_sign_history")
def sign_history(request, code: str, county: str | None = None, period: Literal["24h", "30d"] = "24h"):
    return [{"at": at, "value": value} for at, value in
            readings.history(request.user, code, county_id(county), period)]


@router.get("/signs/{code}/counties", response=list[CountyValueOut], summary="一项体征各县最新值",
            url_name="ops_sign_counties")
def sign_by_county(request, code: str):
    return readings.by_county(request.user, code)


@router.get("/signs/{code}/departments", response=list[DepartmentValueOut], summary="一项体征各部门最新值",
            url_name="ops_sign_departments")
def sign_by_department(request, code: str):
    return readings.by_department(request.user, code)


@router.get("/map/devices", summary="设备图层（服务器端聚合）", url_name="ops_map_devices")
def map_devices(request, query: Query[MapQuery]):
    try:
        bbox = map_layer.BBox.parse(query.bbox)
    except ValueError:
        raise ValidationError({"bbox": [_("范围格式应为 西,南,东,北 的经纬度")]})
    return map_layer.clusters(request.user, bbox, query.zoom, type_code=query.type, region_path=county_path(query.county))


@router.get("/alarms", response=AlarmFeedOut, summary="未解除的设备告警（实时列表）", url_name="ops_alarms")
def alarms(request, county: str | None = None):
    return alarm_feed(request.user, region_path=county_path(county))
