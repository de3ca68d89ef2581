"""Identity registers over the API: persons and legal entities, scoped and masked."""
from datetime import date, datetime
from typing import Annotated

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from ninja import Field, FilterLookup, FilterSchema, Query, Router, Schema, Status
from ninja.pagination import paginate

from bohai.kernel.api.paging import PageNumbers, apply_ordering
from bohai.kernel.crypto.fields import blind_index
from bohai.kernel.regions.models import Region

from . import actions
from .models import LegalEntity, Person

router = Router()


class PersonOut(Schema):
    id: int
    name: str
    gender: str
    birth_date: date
    id_number_masked: str
    phone_masked: str
    address: str
    region: str = Field(alias="region.key")
    region_name: str = Field(alias="region.name")
    created_at: datetime


class PersonIn(Schema):
    id_number: str = Field(description="居民身份证号码（18位）")
    name: str
    phone: str = ""
    address: str = ""
    region: str | None = Field(None, description="区划标识或代码；缺省时按身份证地址码")


class PersonPatch(Schema):
    name: str | None = None
    phone: str | None = None
    address: str | None = None
    region: str | None = None


class RegionSubtreeFilter(FilterSchema):
    region: str | None = Field(None, description="区划标识：含下级区划")

    def filter_region(self, value):
        return Q(region__path__contains=f"/{value}/") if value else Q()


class PersonFilter(RegionSubtreeFilter):
    name: Annotated[str | None, FilterLookup(q="name__contains")] = None
    gender: str | None = None
    id_number: str | None = Field(None, description="按身份证号精确查找（盲索引，不解密）")

    def filter_id_number(self, value):
        return Q(id_number_index=blind_index(value.strip().upper())) if value else Q()


class RevealIn(Schema):
    reason: str = Field("", max_length=200, description="查看理由，写入审计记录")


class RevealOut(Schema):
    id_number: str
    phone: str


PERSON_ORDERING = {"id", "name", "birth_date", "created_at"}


@router.get("/persons", response=list[PersonOut], summary="自然人列表（脱敏，限权限范围）")
@paginate(PageNumbers)
def list_persons(request, filters: Query[PersonFilter], ordering: str | None = None):
    persons = Person.objects.restrict(request.auth, "view").select_related("region")
    return apply_ordering(filters.filter(persons), ordering, PERSON_ORDERING)


@router.get("/persons/{person_id}", response=PersonOut, summary="自然人详情")
def get_person(request, person_id: int):
    return Person.objects.select_related("region").get_in_scope(request.auth, "view", pk=person_id)


@router.post("/persons", response={201: PersonOut}, summary="登记自然人")
def create_person(request, payload: PersonIn):
    _require(request.auth, "identities.add_person")
    region = _region_in_scope(request.auth, payload.region, "identities.add_person") if payload.region else None
    with transaction.atomic():
        person = actions.register_person(actor=request.auth, **payload.dict(exclude={"region"}), region=region)
        _check_created_in_scope(request.auth, Person, person, "add")
    return Status(201, person)


@router.patch("/persons/{person_id}", response=PersonOut, summary="修改自然人信息")
def update_person(request, person_id: int, payload: PersonPatch):
    person = Person.objects.get_in_scope(request.auth, "change", pk=person_id)
    changes = payload.dict(exclude_unset=True)
    if changes.get("region"):
        changes["region"] = _region_in_scope(request.auth, changes["region"], "identities.change_person")
    return actions.update_person(person, actor=request.auth, **changes)


@router.post("/persons/{person_id}/reveal", response=RevealOut, summary="查看未脱敏信息（审计）")
def reveal_person(request, person_id: int, payload: RevealIn):
    person = Person.objects.get_in_scope(request.auth, "view", pk=person_id)
    return actions.reveal_person(person, actor=request.auth, reason=payload.reason)


class LegalEntityOut(Schema):
    id: int
    credit_code: str
    name: str
    entity_type: str
    legal_representative: str
    phone_masked: str
    address: str
    industry: str
    established_on: date | None
    region: str = Field(alias="region.key")
    region_name: str = Field(alias="region.name")
    pilot_code_override: bool
    created_at: datetime


class LegalEntityIn(Schema):
    credit_code: str = Field(description="统一社会信用代码（18位）")
    name: str
    legal_representative: str = ""
    phone: str = ""
    address: str = ""
    industry: str = ""
    established_on: date | None = None
    region: str | None = None
    allow_pilot_override: bool = Field(False, description="确认早期试点代码（需相应权限）")


class LegalEntityFilter(RegionSubtreeFilter):
    name: Annotated[str | None, FilterLookup(q="name__contains")] = None
    credit_code: str | None = None
    entity_type: str | None = None


@router.get("/legal-entities", response=list[LegalEntityOut], summary="法人列表")
@paginate(PageNumbers)
def list_legal_entities(request, filters: Query[LegalEntityFilter], ordering: str | None = None):
    entities = LegalEntity.objects.restrict(request.auth, "view").select_related("region")
    return apply_ordering(filters.filter(entities), ordering, {"id", "name", "credit_code", "established_on"})


@router.get("/legal-entities/{entity_id}", response=LegalEntityOut, summary="法人详情")
def get_legal_entity(request, entity_id: int):
    return LegalEntity.objects.select_related("region").get_in_scope(request.auth, "view", pk=entity_id)


@router.post("/legal-entities", response={201: LegalEntityOut}, summary="登记法人")
def create_legal_entity(request, payload: LegalEntityIn):
    _require(request.auth, "identities.add_legalentity")
    data = payload.dict()
    if data.get("region"):
        data["region"] = _region_in_scope(request.auth, data["region"], "identities.add_legalentity")
    with transaction.atomic():
        entity = actions.register_legal_entity(actor=request.auth, **data)
        _check_created_in_scope(request.auth, LegalEntity, entity, "add")
    return Status(201, entity)


def _require(user, permission: str) -> None:
    if not user.has_perm(permission):
        raise PermissionDenied(_("没有执行此操作的权限"))


def _region_in_scope(user, key: str, permission: str):
    """A region the user may act in; regions outside every scope granting `permission` are 'not found'."""
    region = Region.objects.filter(key=key).first() or Region.objects.filter(code=key).first()
    paths = [path for path, _org in user.scopes_for(permission)] if not user.is_superuser else ["/"]
    if region is None or not any(region.path.startswith(p) for p in paths):
        raise ValidationError({"region": [_("区划 %(key)s 不存在或不在您的权限范围内") % {"key": key}]})
    return region


def _check_created_in_scope(user, model, obj, action: str) -> None:
    """Raised inside the caller's transaction, so a record derived into a region outside the scope is rolled back."""
    if not model.objects.restrict(user, action).filter(pk=obj.pk).exists():
        raise ValidationError({"region": [_("所属区划不在您的权限范围内")]})
