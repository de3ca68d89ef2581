"""Government units and their positions (read-only: the reference set changes through actions)."""
from datetime import datetime
from typing import Annotated

from django.db.models import Count, Q
from ninja import Field, FilterLookup, FilterSchema, Query, Router, Schema
from ninja.pagination import paginate

from bohai.kernel.api.paging import PageNumbers, apply_ordering

from .models import Organisation

router = Router()


class PositionOut(Schema):
    id: int
    title: str
    headcount: int


class OrganisationOut(Schema):
    id: int
    key: str
    name: str
    short_name: str
    kind: str
    function: str
    parent: str | None = Field(None, alias="parent.key")
    region: str = Field(alias="region.key")
    region_name: str = Field(alias="region.name")
    staff_count: int = 0
    created_at: datetime


class OrganisationDetail(OrganisationOut):
    duties: str
    positions: list[PositionOut]


class OrganisationFilter(FilterSchema):
    q: Annotated[str | None, FilterLookup(q=["name__contains", "short_name__contains"])] = None
    kind: str | None = None
    function: str | None = None
    region: str | None = Field(None, description="区划标识：含下级区划")

    def filter_region(self, value):
        return Q(region__path__contains=f"/{value}/") if value else Q()


@router.get("/", response=list[OrganisationOut], summary="机构列表")
@paginate(PageNumbers)
def list_organisations(request, filters: Query[OrganisationFilter], ordering: str | None = None):
    units = (Organisation.objects.restrict(request.auth, "view")
             .select_related("region", "parent").annotate(staff_count=Count("staff")))
    return apply_ordering(filters.filter(units), ordering, {"name", "path", "created_at"})


@router.get("/{key}", response=OrganisationDetail, summary="机构详情（含岗位）")
def get_organisation(request, key: str):
    units = Organisation.objects.select_related("region", "parent").prefetch_related("positions")
    return units.annotate(staff_count=Count("staff")).get_in_scope(request.auth, "view", key=key)
