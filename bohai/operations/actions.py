"""The operations centre's actions: the vital-sign catalogue and storing computed signs.

Computed sign values are measurements, not decisions: they carry no audit record per row (the job run is
recorded by the jobs kernel); changing the catalogue is audited.
"""
from datetime import datetime, timedelta

from django.db import transaction

from bohai.kernel.audit.recording import record
from bohai.kernel.audit.service import service_action

from .catalog import SIGNS
from .models import SignReading, VitalSign
from .vitals import SignValue, compute_all

# Five-minute values are kept two days (the 24 h trend); values on the hour are kept (the 30-day trend).
FINE_HISTORY = timedelta(hours=48)


@service_action
def ensure_vital_signs(*, actor) -> dict:
    """Create or update the catalogue of vital signs from `catalog.SIGNS`."""
    created = updated = 0
    for position, spec in enumerate(SIGNS):
        fields = {"name": str(spec.name), "unit": str(spec.unit), "description": str(spec.description),
                  "good_direction": spec.good_direction, "position": position}
        sign, was_created = VitalSign.objects.get_or_create(code=spec.code, defaults=fields)
        if was_created:
            created += 1
        elif any(getattr(sign, name) != value for name, value in fields.items()):
            VitalSign.objects.filter(pk=sign.pk).update(**fields)
            updated += 1
    if created or updated:
        record(actor=actor, action="operations.ensure_vital_signs", target_type="operations.vitalsign",
               after={"created": created, "updated": updated})
    return {"created": created, "updated": updated}


def compute_vital_signs(at: datetime) -> int:
    """Compute every sign at `at` (a minute) and store it; rows of the same moment are replaced. Rows stored."""
    if not VitalSign.objects.exists():
        ensure_vital_signs(actor="system:operations.vital_signs")
    values = compute_all(at)
    return store_values(values, at)


def store_values(values: list[SignValue], at: datetime) -> int:
    sign_ids = dict(VitalSign.objects.values_list("code", "pk"))
    rows = [SignReading(sign_id=sign_ids[v.sign], region_id=v.region_id, organisation_id=v.organisation_id, at=at,
                        value=v.value, grade=v.grade, detail=v.detail) for v in values if v.sign in sign_ids]
    with transaction.atomic():
        SignReading.objects.filter(at=at).delete()
        SignReading.objects.bulk_create(rows, batch_size=500)
        prune_history(at)
    return len(rows)


def prune_history(now: datetime) -> int:
    deleted, _ = SignReading.objects.filter(at__lt=now - FINE_HISTORY).exclude(at__minute=0).delete()
    return deleted
