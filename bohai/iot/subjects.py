"""How the alarm engine sees devices: an alarm on a device names it, belongs to its department and region,
sits at its location and links to its page."""
from django.urls import reverse

from bohai.engines.alarms.subjects import Subject, register_subject_source

from .models import Device, MetricSpec

SUBJECT_KIND = "iot.device"


def describe_devices(device_ids: list[int]) -> dict[int, Subject]:
    rows = Device.objects.filter(pk__in=device_ids).values_list(
        "pk", "code", "name", "organisation_id", "region_id", "lng", "lat")
    return {pk: Subject(label=name, organisation_id=organisation, region_id=region, lng=lng, lat=lat,
                        link=reverse("iot:device", args=[code]))
            for pk, code, name, organisation, region, lng, lat in rows}


def name_metric(type_code: str, metric: str) -> str:
    """The metric's name in its device type ("管网压力"); for a rule over every type, any type's name for it.
    Read when an alarm is raised or cleared, which is rare: no cache, so an administrator's rename shows at once."""
    names = MetricSpec.objects.filter(code=metric).order_by("id")
    named = names.filter(device_type__code=type_code).first() if type_code else None
    named = named or names.first()
    return named.name if named else metric


def register() -> None:
    register_subject_source(SUBJECT_KIND, describe_devices, event_prefix="iot", name_metric=name_metric)
