"""The devices the simulator owns: which ones, where they stand, who owns them, and their secrets.

The simulator owns the devices whose code starts with DEMO- (created by `bohai demo`, with a day of history) or
SIM- (created by `bohai simulate` when it needs more than the demo has). A fleet plan is deterministic: device
n of a prefix always gets the same type, county, point, owning department and, for energy meters and emission
monitors, enterprise.

Secrets: a device's secret is shown once when issued, so the simulator issues fresh credentials for the devices
it is about to drive (through the registry's `issue_credentials` action, audited) and keeps them in memory only;
nothing is written to disk. The old secret of those devices stops working, which is harmless because only the
simulator speaks for them, but two simulators must not drive the same devices at once.
"""
import random
from dataclasses import dataclass

import shapely
from django.apps import apps
from django.conf import settings
from django.db.models import Q

from bohai.kernel.identities.models import LegalEntity
from bohai.kernel.organisations.models import Organisation
from bohai.kernel.regions.geometry import geometry_from_geojson
from bohai.kernel.regions.models import Level, Region

from ..actions.registry import issue_credentials, register_device
from ..models import Device, DeviceStatus, DeviceType
from .signals import DEFAULT_ANOMALY_PROBABILITY, DEFAULT_OUTAGE_PROBABILITY, DeviceSignal

OWNED_PREFIXES = ("DEMO-", "SIM-")
# Relative numbers of each type in a fleet (a city has many more manholes than weather stations).
TYPE_WEIGHTS = {
    "manhole_cover": 5, "water_supply": 4, "traffic": 4, "power": 3, "gas_pipeline": 3, "air_quality": 2,
    "heating": 2, "water_level": 2, "weather": 1, "energy_meter": 2, "emission_monitor": 2,
}
TYPE_SHORT = {
    "manhole_cover": "MH", "water_supply": "WS", "traffic": "TR", "power": "PW", "gas_pipeline": "GS",
    "air_quality": "AQ", "heating": "HT", "water_level": "WL", "weather": "WX", "energy_meter": "EM",
    "emission_monitor": "CEMS",
}
# The owning department's function (kernel organisations' `function`), first that exists wins.
OWNER_FUNCTIONS = {
    "water_supply": ("water",), "water_level": ("water",),
    "gas_pipeline": ("housing_construction",), "heating": ("housing_construction",),
    "traffic": ("transport",), "air_quality": ("ecology_environment",), "emission_monitor": ("ecology_environment",),
    "weather": ("meteorology",), "manhole_cover": ("urban_management",),
    "energy_meter": ("development_reform", "industry_it"), "power": ("industry_it", "development_reform"),
}
ENTERPRISE_TYPES = ("energy_meter", "emission_monitor")
INDUSTRIAL = ("石油化工", "管道装备", "法兰管件", "五金", "塑料制品", "纸箱包装机械", "海盐", "新能源", "电子机箱",
              "食品", "建筑", "红木家具", "裘皮")
ENTERPRISES_AT_MOST = 40   # the energy demo adopts at most 40 device owners as key enterprises
SEAT_WEIGHT = 3      # the city seat's districts hold more of the city's infrastructure
ROADS = ("解放路", "永济路", "北京路", "朝阳大街", "黄河路", "长芦大道", "光荣路", "新华路", "御河路", "浮阳大道",
         "迎宾大道", "水月寺大街", "颐和路", "维明路", "清池大道", "运河东路", "建设大街", "人民路", "育红路", "文庙街")


@dataclass(frozen=True)
class PlannedDevice:
    code: str
    name: str
    type_code: str
    county_key: str
    lng: float
    lat: float
    address: str
    enterprise_code: str = ""


@dataclass
class SimulatedDevice:
    device: Device
    signal: DeviceSignal
    secret: str = ""

    @property
    def code(self) -> str:
        return self.device.code


class FleetPlanner:
    """Deterministic plans of simulated devices across the city's counties."""

    def __init__(self, seed: int):
        self.seed = seed
        self.types = {t.code: t for t in DeviceType.objects.filter(code__in=TYPE_WEIGHTS)}
        self.counties = _counties_with_boundaries()
        self.weights = [SEAT_WEIGHT if county.key in _seat_keys() else 1 for county, _ in self.counties]
        self.enterprises = monitored_enterprises(ENTERPRISES_AT_MOST)

    def plan(self, prefix: str, count: int) -> list[PlannedDevice]:
        if not self.types or not self.counties:
            return []
        order = interleaved_types([code for code in TYPE_WEIGHTS if code in self.types], count)
        numbers: dict[str, int] = {}
        return [self._planned(prefix, type_code, numbers) for type_code in order]

    def _planned(self, prefix: str, type_code: str, numbers: dict) -> PlannedDevice:
        number = numbers[type_code] = numbers.get(type_code, 0) + 1
        rng = random.Random(f"{self.seed}:{prefix}:{type_code}:{number}")
        county, geometry = rng.choices(self.counties, weights=self.weights)[0]
        name = f"{county.name}{self.types[type_code].name}{number:03d}"
        enterprise = None
        if type_code in ENTERPRISE_TYPES and self.enterprises:
            # Meter n and monitor n stand at the same enterprise, in its county.
            enterprise = self.enterprises[(number - 1) % len(self.enterprises)]
            county, geometry = next(((c, g) for c, g in self.counties if c.key == enterprise.county_key),
                                    (county, geometry))
            name = f"{enterprise.name[:80]}{self.types[type_code].name}"
        lng, lat = _point_inside(rng, geometry)
        road = ROADS[rng.randrange(len(ROADS))]
        address = f"{county.name}{road}{rng.randint(1, 300)}号附近"
        return PlannedDevice(f"{prefix}-{TYPE_SHORT[type_code]}-{number:04d}", name, type_code, county.key,
                             round(lng, 6), round(lat, 6), address, enterprise.code if enterprise else "")


def interleaved_types(type_codes: list[str], count: int) -> list[str]:
    """`count` type codes in proportion to TYPE_WEIGHTS, interleaved so that any prefix covers every type."""
    if not type_codes:
        return []
    taken = dict.fromkeys(type_codes, 0)
    order = []
    for _ in range(count):
        # The type furthest behind its share goes next (ties: the order of TYPE_WEIGHTS).
        code = min(type_codes, key=lambda c: (taken[c] + 1) / TYPE_WEIGHTS[c])
        taken[code] += 1
        order.append(code)
    return order


def _seat_keys() -> set[str]:
    return {f"{settings.BOHAI_CITY_CODE[:4]}02", f"{settings.BOHAI_CITY_CODE[:4]}03"}


def _counties_with_boundaries() -> list[tuple[Region, object]]:
    """Each county with its boundary drawn in by about 500 m, so that no device stands on a border."""
    counties = Region.objects.filter(level=Level.COUNTY, boundary__isnull=False,
                                     path__startswith=f"/{settings.BOHAI_CITY_CODE}/").order_by("key")
    return [(county, _inner(geometry_from_geojson(county.boundary))) for county in counties]


def _inner(geometry):
    shrunk = geometry.buffer(-0.005) if geometry.area > 0.001 else geometry
    shrunk = geometry if shrunk.is_empty else shrunk
    shapely.prepare(shrunk)
    return shrunk


def _point_inside(rng: random.Random, geometry) -> tuple[float, float]:
    west, south, east, north = geometry.bounds
    for _ in range(1000):
        lng, lat = rng.uniform(west, east), rng.uniform(south, north)
        if shapely.intersects_xy(geometry, lng, lat):
            return lng, lat
    point = geometry.representative_point()
    return point.x, point.y


class Owners:
    """The owning department of a device type in a county: the county's counterpart, else the city's."""

    def __init__(self):
        self._cache: dict = {}

    def owner(self, type_code: str, county_key: str) -> Organisation | None:
        key = (type_code, county_key)
        if key not in self._cache:
            self._cache[key] = self._find(OWNER_FUNCTIONS.get(type_code, ()), county_key)
        return self._cache[key]

    def _find(self, functions, county_key: str) -> Organisation | None:
        units = Organisation.objects.filter(kind="department")
        for function in functions:
            found = (units.filter(function=function, region__key=county_key).first()
                     or units.filter(function=function, region__key=settings.BOHAI_CITY_CODE).first()
                     or units.filter(function=function).order_by("path").first())
            if found:
                return found
        return None


@dataclass(frozen=True)
class Enterprise:
    code: str
    name: str
    county_key: str


def monitored_enterprises(limit: int) -> list[Enterprise]:
    """Where energy meters and CEMS stand: the energy system's key enterprises, else industrial legal entities."""
    rows = []
    if apps.is_installed("bohai.energy"):  # a deployment may leave the energy system out
        from bohai.energy.queries import key_enterprise_sites

        rows = key_enterprise_sites(limit)
    if not rows:
        rows = list(LegalEntity.objects.filter(entity_type="enterprise", industry__in=INDUSTRIAL)
                    .order_by("credit_code").values_list("credit_code", "name", "region__path")[:limit])
    return [Enterprise(code, name, _county_key(path)) for code, name, path in rows]


def _county_key(path: str) -> str:
    parts = path.strip("/").split("/")
    return parts[1] if len(parts) > 1 else ""


def register_planned(plan: list[PlannedDevice], *, actor) -> int:
    """Register the planned devices that do not exist yet, through the registry's action; returns how many.

    Energy meters and CEMS need an enterprise: without any, they are left out."""
    existing = set(Device.objects.filter(code__in=[p.code for p in plan]).values_list("code", flat=True))
    missing = [p for p in plan if p.code not in existing]
    if not missing:
        return 0
    types = {t.code: t for t in DeviceType.objects.filter(code__in={p.type_code for p in missing})}
    owners = Owners()
    created = 0
    for planned in missing:
        if planned.type_code in ENTERPRISE_TYPES and not planned.enterprise_code:
            continue
        organisation = owners.owner(planned.type_code, planned.county_key)
        if organisation is None:
            continue
        register_device(actor=actor, code=planned.code, name=planned.name, device_type=types[planned.type_code],
                        organisation=organisation, lng=planned.lng, lat=planned.lat, address=planned.address,
                        enterprise_code=planned.enterprise_code)
        created += 1
    return created


def owned_devices():
    """The simulator's active devices, with their types and metrics loaded."""
    owned = Q()
    for prefix in OWNED_PREFIXES:
        owned |= Q(code__startswith=prefix)
    return (Device.objects.filter(owned, status=DeviceStatus.ACTIVE).select_related("device_type")
            .prefetch_related("device_type__metrics"))


def select_fleet(count: int, *, actor, seed: int) -> list[Device]:
    """`count` devices to simulate: the demo's first, then SIM- devices registered as needed."""
    demo = _interleaved(list(owned_devices().filter(code__startswith="DEMO-")))[:count]
    if len(demo) < count:
        plan = FleetPlanner(seed).plan("SIM", count - len(demo))
        register_planned(plan, actor=actor)
        codes = [p.code for p in plan]
        demo += list(owned_devices().filter(code__in=codes).order_by("pk"))
    return demo


def _interleaved(devices: list[Device]) -> list[Device]:
    """Devices ordered so that any prefix of the list covers the types in their weights."""
    rank: dict[str, int] = {}
    keyed = []
    for device in sorted(devices, key=lambda d: d.code):
        type_code = device.device_type.code
        rank[type_code] = rank.get(type_code, 0) + 1
        keyed.append((rank[type_code] / TYPE_WEIGHTS.get(type_code, 1), device.code, device))
    return [device for _share, _code, device in sorted(keyed, key=lambda k: k[:2])]


def signal_for(device: Device, *, seed: int, interval_seconds: float,
               anomaly_probability: float = DEFAULT_ANOMALY_PROBABILITY,
               outage_probability: float = DEFAULT_OUTAGE_PROBABILITY, bad_ratio: float = 0.0) -> DeviceSignal:
    metrics = list(device.device_type.metrics.all())
    return DeviceSignal(device.code, device.device_type.code, seed=seed, interval_seconds=interval_seconds,
                        ranges={m.code: (m.minimum, m.maximum) for m in metrics},
                        anomaly_probability=anomaly_probability, outage_probability=outage_probability,
                        bad_ratio=bad_ratio)


def issue_secrets(devices: list[Device], *, actor) -> dict[str, str]:
    """Fresh credentials for each device, kept by the caller in memory only."""
    return {device.code: issue_credentials(device, actor=actor) for device in devices}
