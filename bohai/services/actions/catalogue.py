"""Loading the catalogue (事项清单) from the shipped declaration; administrators edit it afterwards."""
import json
from pathlib import Path

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from bohai.engines.workflows.definitions import Process
from bohai.kernel.audit.recording import record
from bohai.kernel.audit.service import service_action
from bohai.kernel.organisations.models import Organisation

from ..declared_forms import check_declaration
from ..models import ItemMaterial, LifeEvent, ServiceItem

CATALOGUE_FILE = Path(__file__).resolve().parent.parent / "data" / "catalogue.json"
ITEM_FIELDS = ("name", "department", "legal_basis", "conditions", "statutory_days", "promised_days", "online_depth",
               "at_most_once", "zero_visit", "form", "workflow", "applicant_kinds", "levels")


@service_action
def load_catalogue(*, actor, path: Path | None = None) -> dict:
    """Create the items and life events that are missing; items already present are left as edited."""
    declaration = json.loads((path or CATALOGUE_FILE).read_text(encoding="utf-8"))
    events = _load_life_events(declaration["life_events"])
    known = set(ServiceItem.objects.values_list("code", flat=True))
    fresh = [raw for raw in declaration["items"] if raw["code"] not in known]
    for raw in fresh:
        _create_item(raw, events)
    if fresh:
        record(actor=actor, action="services.catalogue.load", target_type="services.serviceitem",
               after={"items": len(fresh), "life_events": len(events)})
    return {"items": len(fresh)}


def _load_life_events(raw_events: list[dict]) -> dict[str, LifeEvent]:
    events = {}
    for position, raw in enumerate(raw_events):
        events[raw["code"]], _created = LifeEvent.objects.get_or_create(code=raw["code"], defaults={
            "name": raw["name"], "audience": raw["audience"], "description": raw.get("description") or "",
            "position": position})
    return events


def _create_item(raw: dict, events: dict[str, LifeEvent]) -> ServiceItem:
    check_item_declaration(raw)
    item = ServiceItem.objects.create(
        code=raw["code"], item_type=raw["type"], keywords=" ".join(raw.get("keywords") or []),
        fee_charged=raw["fee"]["charged"], fee_description=raw["fee"]["description"],
        license_type=raw.get("license_issued") or "", **{field: raw[field] for field in ITEM_FIELDS},
    )
    item.life_events.set([events[code] for code in raw.get("life_events") or []])
    ItemMaterial.objects.bulk_create([
        ItemMaterial(item=item, code=m["code"], name=m["name"], requirement=m["requirement"],
                     condition=m.get("condition") or "", form=m["form"], copies=m.get("copies") or 1,
                     replaced_by_license=m.get("replaced_by_license") or "", position=position)
        for position, m in enumerate(raw["materials"])])
    refresh_search_text(item)
    return item


def check_item_declaration(raw: dict) -> None:
    check_declaration(raw["form"], item_code=raw["code"])
    if raw.get("workflow"):
        Process.from_declaration(raw["workflow"], field=f"{raw['code']}.workflow")
    if raw["promised_days"] > raw["statutory_days"]:
        raise ValidationError({f"{raw['code']}.promised_days": [_("承诺时限不能超过法定时限")]})


def refresh_search_text(item: ServiceItem) -> None:
    """One lower-cased text per item (name, keywords, department, life events) for Chinese substring search."""
    department = Organisation.objects.filter(function=item.department).values_list("short_name", "name").first() or ("", "")
    parts = [item.name, item.keywords, *department, *item.life_events.values_list("name", flat=True), item.code]
    ServiceItem.objects.filter(pk=item.pk).update(search_text=" ".join(p for p in parts if p).lower())


@service_action
def save_item(item: ServiceItem, *, actor) -> ServiceItem:
    """An administrator's change to an item (guide, limits, form, workflow), checked like the shipped catalogue."""
    check_declaration(item.form or [], item_code=item.code)
    if item.workflow:
        Process.from_declaration(item.workflow, field="workflow")
    if item.promised_days > item.statutory_days:
        raise ValidationError({"promised_days": [_("承诺时限不能超过法定时限")]})
    before = ServiceItem.objects.filter(pk=item.pk).values().first() if item.pk else None
    item.save()
    refresh_search_text(item)
    record(actor=actor, action="services.item.save", target=item,
           before=_comparable(before), after=_comparable(ServiceItem.objects.filter(pk=item.pk).values().first()))
    return item


def _comparable(values: dict | None) -> dict | None:
    if values is None:
        return None
    return {k: v for k, v in values.items() if k not in ("search_text", "updated_at", "created_at")}


@service_action
def save_materials(item: ServiceItem, changed: list[ItemMaterial], removed: list[ItemMaterial], *, actor) -> None:
    """An administrator's change to an item's material list, audited as one record."""
    for material in removed:
        material.delete()
    for material in changed:
        material.item = item
        material.save()
    record(actor=actor, action="services.item.materials", target=item,
           after={"saved": [m.code for m in changed], "removed": [m.code for m in removed]})
