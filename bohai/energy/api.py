"""Energy and emission monitoring over the API, under /api/v1/energy: monthly figures and exceedances of the
key enterprises within the caller's scope (`restrict`), paged; one enterprise outside it answers 404."""
from datetime import date, datetime
from decimal import Decimal

from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from bohai.kernel.api.paging import PageNumbers, apply_ordering

from .models import Exceedance, KeyEnterprise, MonthlyEnergy

router = Router()

FIGURE_ORDERING = {"month", "total_tce", "intensity", "id"}
EXCEEDANCE_ORDERING = {"hour", "ratio", "id"}


class EnterpriseOut(Schema):
    id: int
    enterprise_code: str
    name: str
    industry: str
    level: str
    region: str = Field(..., alias="region.key")
    region_name: str = Field(..., alias="region.name")
    natural_gas_kgce: Decimal | None
    active: bool


class FigureOut(Schema):
    enterprise_code: str = Field(..., alias="enterprise.enterprise_code")
    enterprise: str = Field(..., alias="enterprise.name")
    industry: str = Field(..., alias="enterprise.industry")
    month: str
    electricity_kwh: Decimal
    natural_gas_m3: Decimal
    coal_kg: Decimal
    steam_mj: Decimal
    total_tce: Decimal
    output_value: Decimal | None
    intensity: Decimal | None = Field(None, description="吨标准煤/万元产值")
    product_quantity: Decimal | None
    product_unit: str
    unit_consumption: Decimal | None = Field(None, description="千克标准煤/单位产品")
    meters: int
    computed_at: datetime

    @staticmethod
    def resolve_month(figure) -> str:
        return f"{figure.month:%Y-%m}"


class ExceedanceOut(Schema):
    id: int
    enterprise_code: str = Field(..., alias="enterprise.enterprise_code")
    enterprise: str = Field(..., alias="enterprise.name")
    device_code: str
    pollutant: str
    hour: datetime
    average: float = Field(..., description="小时均值 mg/m³")
    limit: Decimal = Field(..., description="许可浓度限值 mg/m³")
    ratio: float
    permit_number: str | None = Field(None, alias="permit.permit_number")
    readings: int


class FigureFilter(Schema):
    enterprise: str | None = Field(None, description="企业统一社会信用代码")
    industry: str | None = Field(None, description="steel、petrochemical、building_materials、chemical、power …")
    month_from: date | None = Field(None, description="起始月（含），YYYY-MM-DD，取其所在月")
    month_to: date | None = Field(None, description="截止月（含），YYYY-MM-DD，取其所在月")

    def apply(self, figures):
        lookups = {"enterprise__enterprise_code": self.enterprise, "enterprise__industry": self.industry,
                   "month__gte": self.month_from and self.month_from.replace(day=1),
                   "month__lte": self.month_to and self.month_to.replace(day=1)}
        return figures.filter(**{key: value for key, value in lookups.items() if value})


class ExceedanceFilter(Schema):
    enterprise: str | None = Field(None, description="企业统一社会信用代码")
    pollutant: str | None = Field(None, description="so2、nox、particulates")
    since: datetime | None = Field(None, description="小时起（含），ISO 8601")
    until: datetime | None = Field(None, description="小时止（不含），ISO 8601")

    def apply(self, found):
        lookups = {"enterprise__enterprise_code": self.enterprise, "pollutant": self.pollutant,
                   "hour__gte": self.since, "hour__lt": self.until}
        return found.filter(**{key: value for key, value in lookups.items() if value})


@router.get("/enterprises", response=list[EnterpriseOut], summary="重点企业（限权限范围）")
@paginate(PageNumbers)
def list_enterprises(request, industry: str | None = None):
    enterprises = KeyEnterprise.objects.restrict(request.auth, "view").select_related("region")
    return enterprises.filter(industry=industry) if industry else enterprises


@router.get("/enterprises/{code}", response=EnterpriseOut, summary="重点企业详情")
def get_enterprise(request, code: str):
    return KeyEnterprise.objects.select_related("region").get_in_scope(request.auth, "view", enterprise_code=code)


@router.get("/figures", response=list[FigureOut], summary="月度能耗（折标准煤、万元产值能耗；限权限范围）")
@paginate(PageNumbers)
def list_figures(request, filters: Query[FigureFilter], ordering: str | None = None):
    """`ordering`：month、total_tce、intensity、id，前加 - 为倒序；默认最近月份在前。"""
    figures = filters.apply(MonthlyEnergy.objects.restrict(request.auth, "view").select_related("enterprise"))
    return apply_ordering(figures, ordering, FIGURE_ORDERING)


@router.get("/exceedances", response=list[ExceedanceOut], summary="排放超标小时（限权限范围）")
@paginate(PageNumbers)
def list_exceedances(request, filters: Query[ExceedanceFilter], ordering: str | None = None):
    """`ordering`：hour、ratio、id，前加 - 为倒序；默认最近在前。"""
    found = filters.apply(Exceedance.objects.restrict(request.auth, "view").select_related("enterprise", "permit"))
    return apply_ordering(found, ordering, EXCEEDANCE_ORDERING)
