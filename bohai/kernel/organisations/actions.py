"""Actions on government units. Loading the reference set is one audited bulk action."""

from bohai.kernel.audit.recording import record
from bohai.kernel.audit.service import service_action
from bohai.kernel.regions.models import Level, Region

from . import reference
from .models import Organisation, OrganisationKind, Position


@service_action
def load_reference_organisations(*, actor) -> dict:
    """Create every missing unit of the reference set for the loaded regions (idempotent)."""
    existing = set(Organisation.objects.values_list("key", flat=True))
    planned = list(_planned_units())
    created = _create_missing(planned, existing)
    positions = _create_missing_positions()
    summary = {"organisations_created": created, "positions_created": positions, "total": len(planned)}
    if created or positions:
        record(actor=actor, action="organisations.load_reference", target_type="organisations.organisation", after=summary)
    return summary


def _planned_units():
    """(key, parent key, fields) of each unit in tree order, parents first."""
    specs = reference.department_specs()
    city = Region.objects.filter(level=Level.CITY).first()
    if city is None:
        return
    yield from _units_of_government(city, specs, is_city=True)
    for county in Region.objects.filter(level__in=[Level.COUNTY, Level.ZONE]).order_by("path"):
        yield from _units_of_government(county, specs, is_city=False)
    for township in Region.objects.filter(level=Level.TOWNSHIP).select_related("parent").order_by("path"):
        yield (
            f"{township.key}-gov",
            f"{township.parent.key}-gov",
            {"name": reference.township_office_name(township), "kind": OrganisationKind.TOWNSHIP_OFFICE,
             "function": "township_office", "region": township},
        )


def _units_of_government(region, specs, *, is_city: bool):
    government_key = f"{region.key}-gov"
    parent_key = None if is_city else f"{region.parent.key}-gov"
    yield government_key, parent_key, {
        "name": reference.government_name(region), "kind": OrganisationKind.GOVERNMENT,
        "function": "government", "region": region,
    }
    for spec in specs:
        if not _serves(spec, region, is_city):
            continue
        yield f"{region.key}-{spec.function}", government_key, {
            "name": f"{region.name}{spec.name}", "short_name": spec.short_name,
            "kind": spec.kind, "function": spec.function, "duties": spec.duties, "region": region,
        }


def _serves(spec, region, is_city: bool) -> bool:
    if is_city:
        return True
    if region.level == Level.ZONE:
        return spec.function in reference.ZONE_FUNCTIONS
    return spec.in_counties


def _create_missing(planned, existing: set[str]) -> int:
    paths = dict(Organisation.objects.values_list("key", "path"))
    parent_ids = dict(Organisation.objects.values_list("key", "id"))
    created = 0
    for key, parent_key, fields in planned:
        if key in existing:
            continue
        parent_path = paths.get(parent_key, "/") if parent_key else "/"
        unit = Organisation.objects.create(
            key=key, parent_id=parent_ids.get(parent_key), path=f"{parent_path}{key}/", **fields
        )
        paths[key], parent_ids[key] = unit.path, unit.id
        created += 1
    return created


def _create_missing_positions() -> int:
    specs = reference.position_specs()
    have = set(Position.objects.values_list("organisation_id", "title"))
    new = [
        Position(organisation_id=org_id, title=spec.title, headcount=spec.headcount)
        for org_id, kind in Organisation.objects.values_list("id", "kind")
        for spec in specs.get(kind, [])
        if (org_id, spec.title) not in have
    ]
    Position.objects.bulk_create(new, batch_size=1000)
    return len(new)
