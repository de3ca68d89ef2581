"""What anyone may read of a case through Open311 (GET requests): never a name, phone or e-mail.

- Every case with a number is listed, with its service, status, unit, times and limit.
- A city-management case (public places and facilities) and anything submitted through Open311
  itself show their description, address, coordinates and first report photo. A 12345 appeal
  taken by phone or on the portal is a private matter: only its county and its progress are shown.
- Descriptions pass through `redact`: mobile and landline numbers, identity numbers and e-mail
  addresses a reporter typed into the text are masked.
- Open311's two statuses: closed = closed, refused, merged; open = everything else (deferred too).
"""
import re

from django.urls import reverse

from bohai.kernel.identities.validators import mask_phone

from ..models import Case, CasePhoto, PhotoStage, Source, Status, Track
from .catalogue import limit_notice

CLOSED = (Status.CLOSED, Status.INVALID, Status.MERGED)
FIELDS = ("number", "track", "source", "status", "description", "address", "lng", "lat", "reported_at", "updated_at",
          "due_at", "case_class__code", "case_class__name", "case_class__limit_days", "case_class__limit_hours",
          "organisation__name", "region__key", "county__key", "duplicate_of__number")

_MOBILE = re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}(?!\d)")
_IDENTITY = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
_LANDLINE = re.compile(r"(?<!\d)0\d{2,3}-?\d{7,8}(?!\d)")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def redact(text: str) -> str:
    text = _IDENTITY.sub(lambda m: m.group()[:6] + "*" * 8 + m.group()[-4:], text)
    text = _MOBILE.sub(lambda m: mask_phone(re.sub(r"\D", "", m.group())[-11:]), text)
    text = _LANDLINE.sub(lambda m: m.group()[:4] + "****" + m.group()[-2:], text)
    return _EMAIL.sub(lambda m: m.group()[0] + "***@" + m.group().split("@", 1)[1], text)


def public_cases():
    return (Case.objects.exclude(number__isnull=True)
            .select_related("case_class", "organisation", "region", "county", "duplicate_of").only(*FIELDS))


def shows_place(case: Case) -> bool:
    return case.track == Track.CITY or case.source == Source.OPEN311


def first_photos(cases: list[Case]) -> dict[int, int]:
    """Case id → its first report photo's id, for the cases whose place (and photo) is public."""
    ids = [c.pk for c in cases if shows_place(c)]
    if not ids:
        return {}
    found: dict[int, int] = {}
    rows = (CasePhoto.objects.filter(case_id__in=ids, stage=PhotoStage.REPORT).order_by("case_id", "created_at", "id")
            .values_list("case_id", "id"))
    for case_id, photo_id in rows:
        found.setdefault(case_id, photo_id)
    return found


def status_notes(case: Case) -> str:
    if case.status == Status.MERGED and case.duplicate_of_id:
        return f"与 {case.duplicate_of.number} 重复，已合并办理"
    return str(case.get_status_display())


def row(case: Case, photo_id: int | None, request) -> dict:
    public = shows_place(case)
    media = None
    if public and photo_id:
        media = request.build_absolute_uri(reverse("open311:media", args=[case.number, photo_id]))
    return {
        "service_request_id": case.number,
        "status": "closed" if case.status in CLOSED else "open",
        "status_notes": status_notes(case),
        "service_name": case.case_class.name if case.case_class_id else None,
        "service_code": case.case_class.code if case.case_class_id else None,
        "description": redact(case.description) if public else None,
        "agency_responsible": case.organisation.name if case.organisation_id else None,
        "service_notice": limit_notice(case.case_class) if case.case_class_id else None,
        "requested_datetime": case.reported_at,
        "updated_datetime": case.updated_at,
        "expected_datetime": case.due_at,
        "address": (redact(case.address) or None) if public else None,
        "address_id": case.region.key if public else (case.county.key if case.county_id else None),
        "zipcode": None,
        "lat": case.lat if public else None,
        "long": case.lng if public else None,
        "media_url": media,
    }


def rows(cases: list[Case], request) -> list[dict]:
    photos = first_photos(cases)
    return [row(case, photos.get(case.pk), request) for case in cases]
