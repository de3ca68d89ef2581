"""Demo key enterprises: twelve clearly-demo enterprises in Cangzhou's heavy industries (渤海新区 steel, a
沧州炼化-like refinery, 任丘 petrochemicals, 黄骅 building materials …) with valid USCCs, their discharge
permits and twelve months of output; an energy officer account at the ecology bureau.

Coordination with the IoT demo (`bohai/iot/demo.py`, which runs first because `bohai.iot` precedes
`bohai.energy` in INSTALLED_APPS): its energy meters and CEMS monitors belong to the key enterprises when there
are any, else to industrial legal entities of the kernel's demo. Those enterprises that own meters or monitors
are put under monitoring too (industry read from their registered trade), so that the figures and
exceedances have readings behind them. With no devices at all, the step still succeeds.

Idempotent: an enterprise whose USCC is monitored already is left alone, output months and permits are added
only for enterprises created in this run, and the recompute writes nothing that did not change.
"""
import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from bohai.engines.workdays.periods import add_months
from bohai.kernel.identities import validators
from bohai.kernel.regions.models import Region

from . import actions, exceedances, figures, sources
from .models import Industry, KeyEnterprise, KeyLevel, MonthlyOutput, Pollutant

MONTHS = 12
ADOPTED_AT_MOST = 40
DEMO_USERNAME = "energy_officer"


@dataclass(frozen=True)
class DemoEnterprise:
    name: str
    industry: str
    division: str  # county code
    level: str
    output_wan: int  # monthly output value, 万元
    product: tuple[int, str]  # monthly product quantity and unit
    gas_kgce: str = ""


ENTERPRISES = (
    DemoEnterprise("渤海新区示范钢铁集团有限公司（演示）", Industry.STEEL, "130983", KeyLevel.NATIONAL, 180_000, (520_000, "吨钢")),
    DemoEnterprise("黄骅港示范特钢有限公司（演示）", Industry.STEEL, "130983", KeyLevel.PROVINCIAL, 42_000, (110_000, "吨钢")),
    DemoEnterprise("沧州示范炼化有限公司（演示）", Industry.PETROCHEMICAL, "130903", KeyLevel.NATIONAL, 260_000,
                   (700_000, "吨原油加工量"), "1.2500"),
    DemoEnterprise("任丘示范石化有限公司（演示）", Industry.PETROCHEMICAL, "130982", KeyLevel.NATIONAL, 150_000,
                   (420_000, "吨原油加工量")),
    DemoEnterprise("任丘示范油田化工有限公司（演示）", Industry.CHEMICAL, "130982", KeyLevel.PROVINCIAL, 36_000, (60_000, "吨")),
    DemoEnterprise("沧州临港示范化工有限公司（演示）", Industry.CHEMICAL, "130983", KeyLevel.PROVINCIAL, 52_000, (90_000, "吨")),
    DemoEnterprise("黄骅示范水泥有限公司（演示）", Industry.BUILDING_MATERIALS, "130983", KeyLevel.PROVINCIAL, 9_000,
                   (160_000, "吨水泥熟料")),
    DemoEnterprise("河间示范玻璃制品有限公司（演示）", Industry.BUILDING_MATERIALS, "130984", KeyLevel.CITY, 6_500,
                   (30_000, "重量箱")),
    DemoEnterprise("泊头示范铸造有限公司（演示）", Industry.STEEL, "130981", KeyLevel.CITY, 8_000, (25_000, "吨铸件")),
    DemoEnterprise("沧县示范保温建材有限公司（演示）", Industry.BUILDING_MATERIALS, "130921", KeyLevel.CITY, 3_200,
                   (40_000, "立方米")),
    DemoEnterprise("沧东示范热电有限公司（演示）", Industry.POWER, "130983", KeyLevel.NATIONAL, 48_000, (300_000, "兆瓦时")),
    DemoEnterprise("青县示范纸业有限公司（演示）", Industry.PAPER, "130922", KeyLevel.CITY, 4_800, (20_000, "吨纸")),
)

# Concentration limits (mg/m³) by industry: ultra-low emission for steel, power and cement; the general
# petrochemical and glass limits otherwise. Demo values, not a legal reference.
PERMIT_LIMITS = {
    Industry.STEEL: {"so2": 35, "nox": 50, "particulates": 10},
    Industry.POWER: {"so2": 35, "nox": 50, "particulates": 10},
    Industry.BUILDING_MATERIALS: {"so2": 50, "nox": 100, "particulates": 10},
    Industry.PETROCHEMICAL: {"so2": 50, "nox": 100, "particulates": 20},
    Industry.CHEMICAL: {"so2": 100, "nox": 150, "particulates": 20},
}
DEFAULT_LIMITS = {"so2": 200, "nox": 200, "particulates": 30}
TRADE_INDUSTRIES = (("石油化工", Industry.PETROCHEMICAL), ("石油", Industry.PETROCHEMICAL), ("化工", Industry.CHEMICAL),
                    ("塑料", Industry.CHEMICAL), ("玻璃", Industry.BUILDING_MATERIALS), ("建筑", Industry.BUILDING_MATERIALS),
                    ("保温", Industry.BUILDING_MATERIALS), ("铸造", Industry.STEEL), ("钢", Industry.STEEL),
                    ("新能源", Industry.POWER), ("纸", Industry.PAPER), ("纺", Industry.TEXTILE))


def generate_demo_enterprises(*, actor, seed: int, now=None) -> dict:
    if not Region.objects.exists():
        return {"enterprises": 0, "note": "no regions"}
    actions.load_coefficients(actor=actor)
    rng = random.Random(seed * 6007 + 6)
    this_month = figures.current_month(now)
    created = [_create_named(spec, actor) for spec in ENTERPRISES]
    created = [e for e in created if e is not None] + _adopt_device_owners(actor)
    for enterprise in created:
        _add_permits(enterprise, actor, this_month)
    outputs = actions.record_outputs_bulk(
        [output for enterprise in created for output in _outputs(enterprise, rng, this_month)], actor=actor,
        source="demo")
    months = [add_months(this_month, -i) for i in range(MONTHS)]
    recomputed = figures.recompute(months, actor=actor)
    end = (now or timezone.now()).replace(minute=0, second=0, microsecond=0)
    found = exceedances.check(end - timedelta(days=2), end, actor=actor)
    return {"enterprises": len(created), "output_months": outputs, "figures": recomputed,
            "exceedances": len(found), "officer": _officer(actor)}


def _create_named(spec: DemoEnterprise, actor) -> KeyEnterprise | None:
    code = _credit_code(spec.division, spec.name)
    if KeyEnterprise.objects.filter(enterprise_code=code).exists():
        return None
    region = Region.objects.filter(code=spec.division).first() or Region.objects.order_by("path").first()
    return actions.register_enterprise(actor=actor, enterprise_code=code, name=spec.name, industry=spec.industry,
                                       region=region, level=spec.level, natural_gas_kgce=spec.gas_kgce or None)


def _credit_code(division: str, name: str) -> str:
    """A valid USCC (91 = enterprise) derived from the name, so reruns give the same code."""
    alphabet = validators.CREDIT_CODE_ALPHABET
    digest = random.Random(name)
    body = "MA" + "".join(alphabet[int(digest.random() * len(alphabet))] for _ in range(6))
    first17 = "91" + division + body + validators.organisation_code_check_char(body)
    return first17 + validators.credit_code_check_char(first17)


def _adopt_device_owners(actor) -> list[KeyEnterprise]:
    """Legal entities owning energy meters or CEMS monitors, put under monitoring."""
    from bohai.kernel.identities.models import LegalEntity

    owners = set(sources.energy_meters()) | set(sources.emission_monitors())
    owners -= set(KeyEnterprise.objects.filter(enterprise_code__in=owners).values_list("enterprise_code", flat=True))
    adopted = []
    for entity in LegalEntity.objects.filter(credit_code__in=sorted(owners)).order_by("credit_code")[:ADOPTED_AT_MOST]:
        industry = next((value for word, value in TRADE_INDUSTRIES if word in (entity.industry or "")), Industry.OTHER)
        adopted.append(actions.register_enterprise(actor=actor, enterprise_code=entity.credit_code, name=entity.name,
                                                   industry=industry, region=entity.region))
    return adopted


def _add_permits(enterprise: KeyEnterprise, actor, this_month: date) -> None:
    limits = PERMIT_LIMITS.get(enterprise.industry, DEFAULT_LIMITS)
    number = f"{enterprise.enterprise_code}001P"
    valid_from = add_months(this_month, -36)
    for pollutant in Pollutant.values:
        actions.add_permit(actor=actor, enterprise=enterprise, permit_number=number, pollutant=pollutant,
                           limit_mg_m3=limits[pollutant], valid_from=valid_from,
                           valid_to=valid_from.replace(year=valid_from.year + 5) - timedelta(days=1))


def _outputs(enterprise: KeyEnterprise, rng: random.Random, this_month: date) -> list[MonthlyOutput]:
    spec = next((s for s in ENTERPRISES if s.name == enterprise.name), None)
    value, (quantity, unit) = (spec.output_wan, spec.product) if spec else (rng.choice((800, 1500, 3000)), (0, ""))
    outputs = []
    for back in range(MONTHS):
        month = add_months(this_month, -back)
        season = 0.85 if month.month in (1, 2) else 1.05 if month.month in (9, 10, 11) else 1.0  # 春节 dip
        factor = Decimal(repr(round(season * rng.uniform(0.92, 1.08), 4)))
        outputs.append(MonthlyOutput(
            enterprise=enterprise, month=month, output_value=(value * factor).quantize(Decimal("0.01")),
            product_quantity=(quantity * factor).quantize(Decimal("0.001")) if quantity else None, product_unit=unit))
    return outputs


def _officer(actor) -> str:
    """The demo energy officer at the city's ecology bureau, over the whole city."""
    from django.conf import settings

    from bohai.kernel.accounts import actions as accounts
    from bohai.kernel.accounts.models import User
    from bohai.kernel.demo.accounts import demo_password
    from bohai.kernel.organisations.models import Organisation

    if User.objects.filter(username=DEMO_USERNAME).exists():
        return DEMO_USERNAME
    city = Region.objects.filter(key=settings.BOHAI_CITY_CODE).first()
    unit = Organisation.objects.filter(function="ecology_environment", region=city).first() if city else None
    if unit is None:
        return ""
    user = accounts.create_staff_account(actor=actor, username=DEMO_USERNAME, password=demo_password(),
                                         organisation=unit, display_name="能耗监管演示员")
    accounts.assign_role(user, actor=actor, role_code="energy_officer", region=city)
    return DEMO_USERNAME
