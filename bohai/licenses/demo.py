"""Demo licences: the demo resident's and agent's, and those of a few hundred demo persons and
enterprises, with a few in every status. Idempotent: a holder who has a type already gets no second one."""
import random
from datetime import date

from django.db import transaction
from django.utils import timezone

from bohai.kernel.accounts.models import User
from bohai.kernel.identities.models import EntityType, LegalEntity, Person

from . import actions
from .models import License, LicenseType
from .queries import issuing_unit

DEMO_PERSONS = 300
DEMO_ENTITIES = 200
PERSON_TYPES = ("resident_id_card", "household_register", "social_security_card")
ENTITY_TYPES = ("business_licence",)
BANKS = ("中国工商银行沧州分行", "中国农业银行沧州分行", "中国建设银行沧州分行", "沧州银行", "河北银行沧州分行")
SCOPES = ("日用百货、五金交电销售", "管道及管件制造、销售", "餐饮服务", "农产品收购与销售", "货物运输代理",
          "软件开发与信息技术服务")
# Every n-th newly issued demo licence of a type (the named accounts' own stay valid) gets this change.
STATUS_CHANGES = {
    "resident_id_card": ((97, "revoke", "证件信息有误，依申请撤销"), (83, "cancel", "持证人申请注销")),
    "household_register": ((79, "transfer_out", "户口迁出本市"),),
    "social_security_card": ((89, "suspend", "卡片挂失，暂停使用"),),
    "business_licence": ((13, "revoke_by_penalty", "违法经营，依法吊销"), (11, "suspend", "涉嫌违法经营，依法暂扣"),
                         (17, "cancel", "企业申请注销登记"), (19, "revoke", "以欺骗手段取得登记，依法撤销")),
}
EXPIRED_EVERY = 41


def issue_demo_licenses(*, actor, seed: int) -> dict:
    """Issue what is missing; returns how many were issued and expired."""
    persons, entities = _demo_persons(), _demo_entities()
    have = set(License.objects.filter(license_type__code__in=PERSON_TYPES + ENTITY_TYPES)
               .values_list("license_type__code", "holder_person_id", "holder_entity_id"))
    types = {t.code: t for t in LicenseType.objects.filter(code__in=PERSON_TYPES + ENTITY_TYPES)}
    units: dict = {}
    issued = 0
    with transaction.atomic():
        for index, person in enumerate(persons):
            for code in PERSON_TYPES:
                if (code, person.pk, None) not in have:
                    _issue(types[code], units, actor, seed, index, holder_person=person)
                    issued += 1
        for index, entity in enumerate(entities):
            for code in ENTITY_TYPES:
                if (code, None, entity.pk) not in have:
                    _issue(types[code], units, actor, seed, index, holder_entity=entity)
                    issued += 1
        expired = actions.expire_due_licenses(actor=actor)
    return {"issued": issued, "expired": expired}


def _demo_persons() -> list[Person]:
    resident = User.objects.filter(username="resident", person__isnull=False).select_related("person__region").first()
    first = [resident.person] if resident else []
    others = Person.objects.exclude(pk__in=[p.pk for p in first]).select_related("region").order_by("id")[:DEMO_PERSONS]
    return [*first, *others]


def _demo_entities() -> list[LegalEntity]:
    agent = User.objects.filter(username="agent", legal_entity__isnull=False).select_related("legal_entity__region").first()
    first = [agent.legal_entity] if agent else []
    others = (LegalEntity.objects.filter(entity_type=EntityType.ENTERPRISE).exclude(pk__in=[e.pk for e in first])
              .select_related("region").order_by("id")[:DEMO_ENTITIES])
    return [*first, *others]


def _issue(license_type: LicenseType, units: dict, actor, seed: int, index: int, **holder) -> License:
    owner = holder.get("holder_person") or holder.get("holder_entity")
    rng = random.Random(f"{seed}:{license_type.code}:{owner.pk}")
    unit_key = (license_type.code, owner.region_id)
    if unit_key not in units:
        units[unit_key] = issuing_unit(license_type.code, owner.region)
    valid_from = _valid_from(license_type, rng, index)
    license = actions.issue_license(
        type_code=license_type.code, issuing_organisation=units[unit_key], fields=FIELDS[license_type.code](owner, rng),
        valid_from=valid_from, actor=actor, **holder)
    if index:  # the named demo accounts' licences (index 0) stay valid
        _change_status(license, index, actor)
    return license


def _valid_from(license_type: LicenseType, rng: random.Random, index: int) -> date | None:
    if license_type.validity_years is None:
        return None
    today = timezone.localdate()
    if index and index % EXPIRED_EVERY == 0:
        return today.replace(year=today.year - license_type.validity_years - 1)
    return today.replace(year=today.year - rng.randrange(0, license_type.validity_years), day=1)


def _change_status(license: License, index: int, actor) -> None:
    for every, change, reason in STATUS_CHANGES.get(license.license_type.code, ()):
        if index % every == 0:
            getattr(actions, ACTIONS[change])(license, reason=reason, actor=actor)
            return


ACTIONS = {"revoke": "revoke_license", "suspend": "suspend_license", "cancel": "cancel_license",
           "transfer_out": "transfer_license_out", "revoke_by_penalty": "revoke_license_by_penalty"}


def _address(holder) -> str:
    return holder.address or f"河北省{holder.region.name}"


def _resident_id_fields(person: Person, rng: random.Random) -> dict:
    return {"gender": person.get_gender_display(), "ethnicity": "回" if rng.random() < 0.03 else "汉",
            "birth_date": person.birth_date.isoformat(), "address": _address(person)}


def _household_fields(person: Person, rng: random.Random) -> dict:
    return {"household_number": f"{rng.randrange(10 ** 8, 10 ** 9)}", "household_head": person.name,
            "relation": "户主", "address": _address(person)}


def _social_security_fields(person: Person, rng: random.Random) -> dict:
    return {"card_number": f"A{rng.randrange(10 ** 7, 10 ** 8)}", "bank": rng.choice(BANKS)}


def _business_licence_fields(entity: LegalEntity, rng: random.Random) -> dict:
    capital = entity.registered_capital or rng.choice((50, 100, 200, 500, 1000))
    return {"entity_type": entity.get_entity_type_display(), "legal_representative": entity.legal_representative or "王建国",
            "registered_capital": f"{capital}万元", "established_on": (entity.established_on or date(2016, 3, 1)).isoformat(),
            "address": _address(entity), "business_scope": rng.choice(SCOPES)}


FIELDS = {
    "resident_id_card": _resident_id_fields,
    "household_register": _household_fields,
    "social_security_card": _social_security_fields,
    "business_licence": _business_licence_fields,
}
