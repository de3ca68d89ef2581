"""Possible duplicates shown to whoever files: the same class within 50 m and 24 hours, or a very
similar description in the same township within 24 hours."""
import math
from datetime import timedelta

from .models import OPEN_STATUSES, Case

RADIUS_METRES = 50
WINDOW = timedelta(hours=24)
TEXT_SIMILARITY = 0.6


def possible_duplicates(case: Case, limit: int = 5) -> list[Case]:
    recent = (Case.objects.filter(reported_at__gte=case.reported_at - WINDOW, reported_at__lte=case.reported_at + WINDOW,
                                  status__in=OPEN_STATUSES + ("closed",), duplicate_of__isnull=True)
              .exclude(pk=case.pk).select_related("case_class"))
    found = []
    for other in recent.filter(county=case.county)[:500]:
        if _same_place_same_class(case, other) or _similar_text(case, other):
            found.append(other)
        if len(found) >= limit:
            break
    return found


def _same_place_same_class(case: Case, other: Case) -> bool:
    if None in (case.lng, case.lat, other.lng, other.lat) or case.case_class_id != other.case_class_id:
        return False
    return distance_metres(case.lng, case.lat, other.lng, other.lat) <= RADIUS_METRES


def _similar_text(case: Case, other: Case) -> bool:
    if case.township_id != other.township_id:
        return False
    return bigram_similarity(case.description, other.description) >= TEXT_SIMILARITY


def distance_metres(lng1, lat1, lng2, lat2) -> float:
    earth = 6_371_000
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi, d_lambda = phi2 - phi1, math.radians(lng2 - lng1)
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * earth * math.asin(math.sqrt(a))


def bigram_similarity(a: str, b: str) -> float:
    """Dice coefficient over character bigrams: robust for Chinese without segmentation."""
    grams_a, grams_b = _bigrams(a), _bigrams(b)
    if not grams_a or not grams_b:
        return 0.0
    return 2 * len(grams_a & grams_b) / (len(grams_a) + len(grams_b))


def _bigrams(text: str) -> set[str]:
    compact = "".join(ch for ch in text if not ch.isspace() and ch not in "，。！？、,.!?；;：:")
    return {compact[i:i + 2] for i in range(len(compact) - 1)}
