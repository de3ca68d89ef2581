"""Counties and scopes: which county a region lies in, and which places (city, counties, departments) a user may
see the vital signs of."""
from dataclasses import dataclass, field

from bohai.kernel.regions.models import Level, Region

COUNTY_LEVELS = (Level.COUNTY, Level.ZONE)
SIGN_PERMISSION = "operations.view_vitalsign"


def counties() -> list[Region]:
    return list(Region.objects.filter(level__in=COUNTY_LEVELS).defer("boundary").order_by("path"))


def city() -> Region | None:
    return Region.objects.filter(level=Level.CITY).defer("boundary").order_by("path").first()


class CountyIndex:
    """Maps any region id to the id of the county (or zone) it lies in, from the materialised paths."""

    def __init__(self):
        self.by_path = {county.path: county.pk for county in counties()}
        self._region_paths: dict[int, str] | None = None
        self._cache: dict[int, int | None] = {}

    def county_of(self, region_id: int | None) -> int | None:
        if region_id is None:
            return None
        if region_id not in self._cache:
            if self._region_paths is None:
                self._region_paths = dict(Region.objects.values_list("pk", "path"))
            path = self._region_paths.get(region_id, "")
            self._cache[region_id] = next((pk for prefix, pk in self.by_path.items() if path.startswith(prefix)), None)
        return self._cache[region_id]


@dataclass
class Visible:
    """The places whose signs a user may see."""

    everything: bool = False
    city: bool = False
    county_ids: set[int] = field(default_factory=set)
    organisation_paths: list[str] = field(default_factory=list)

    def sees_region(self, region_id: int | None) -> bool:
        if self.everything:
            return True
        return self.city if region_id is None else (self.city or region_id in self.county_ids)


def visible_places(user) -> Visible:
    if user.is_superuser:
        return Visible(everything=True, city=True, county_ids={c.pk for c in counties()})
    visible = Visible()
    city_region = city()
    for region_path, organisation_path in user.scopes_for(SIGN_PERMISSION):
        if city_region is not None and city_region.path.startswith(region_path):
            visible.city = True
        visible.county_ids |= {c.pk for c in counties() if c.path.startswith(region_path) or region_path.startswith(c.path)}
        if organisation_path:
            visible.organisation_paths.append(organisation_path)
    if visible.city:
        visible.county_ids = {c.pk for c in counties()}
    return visible
