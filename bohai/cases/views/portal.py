"""Portal pages of the cases system: a resident reports a problem (map pin or their position, photos,
description), follows it by its number (public, limited per address), and the public list of recent
cases, which carries no personal data: no names, no photos, and descriptions with phone numbers,
identity numbers and plates replaced."""
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render

from bohai.kernel.api.throttling import AddressRateThrottle
from bohai.kernel.regions.models import Level, Region

from .. import actions, queries
from ..forms import ProblemForm, TrackForm, photo_errors, take_errors
from ..models import Case, Source, Status, Track
from ..queries import PUBLIC_STATUSES

PUBLIC_PAGE_SIZE = 20
PROCESSING = (Status.FILED, Status.DISPATCHED, Status.HANDLING, Status.HANDLED, Status.ACCEPTED, Status.REPLIED)


class TrackThrottle(AddressRateThrottle):
    """Public case queries per client address (the mechanism of the services progress query: the kernel's
    real client address, the cache as the budget). Rate: BOHAI_CASES_TRACK_RATE, else the services progress
    rate, else 10/min; read per request."""

    scope = "cases_track"

    def __init__(self):
        self.rate = None

    def allow_request(self, request) -> bool:
        self.rate = getattr(settings, "BOHAI_CASES_TRACK_RATE", None) or getattr(
            settings, "BOHAI_SERVICES_PROGRESS_RATE", "10/min")
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request)


def map_layers_for_city() -> list[str]:
    city = queries.city_region()
    return [f"/api/v1/regions/geojson?level=county&parent={city.key}"] if city else []


# Report a problem ------------------------------------------------------------------------------------------

@login_required
def report(request):
    form = ProblemForm(request.POST or None)
    context = {"form": form, "layers": map_layers_for_city(), "location_errors": [], "photo_errors": [],
               "tree": queries.class_tree(),
               "mine": Case.objects.filter(reporter=request.user).select_related("case_class")[:5]}
    if request.method == "POST":
        form.is_valid()
        photos = request.FILES.getlist("photos")
        try:
            case = actions.report_case(
                actor=request.user, track=Track.CITY, source=Source.PORTAL, description=form.data.get("description", ""),
                photos=photos, case_class=queries.minor_class(form.data.get("case_class")),
                lng=form.value("lng"), lat=form.value("lat"), address=form.value("address") or "",
                region=queries.region_by_key(form.data.get("region")), reporter=request.user)
        except ValidationError as error:
            others = take_errors(form, error)
            context["location_errors"] = others.pop("location", [])
            context["photo_errors"] = photo_errors(others)
            context["other_errors"] = [m for key, messages in others.items() if not key.startswith("photos")
                                       for m in messages]
            return render(request, "cases/report.html", context, status=422)
        return redirect("cases:report_done", number=case.number)
    return render(request, "cases/report.html", context)


@login_required
def report_done(request, number: str):
    case = get_object_or_404(queries.placed(Case.objects), number=number, reporter=request.user)
    return render(request, "cases/report_done.html", {"case": case, "place": queries.public_place(case)})


# Track a case by its number --------------------------------------------------------------------------------

def track(request):
    """GET ?number= or POST number: one query against the per-address budget; the answer carries no personal data."""
    raw = request.POST.get("number") if request.method == "POST" else request.GET.get("number")
    if raw is None:
        return render(request, "cases/track.html", {"form": TrackForm()})
    if not TrackThrottle().allow_request(request):
        return render(request, "cases/track.html", {"form": TrackForm(initial={"number": raw}), "throttled": True},
                      status=429)
    form = TrackForm({"number": raw})
    if not form.is_valid():
        return render(request, "cases/track.html", {"form": form}, status=422)
    case = queries.placed(Case.objects).filter(number=form.cleaned_data["number"]).first()
    if case is None:
        return render(request, "cases/track.html", {"form": form, "not_found": True})
    return render(request, "cases/track.html", {
        "form": form, "case": case, "place": queries.public_place(case), "timeline": queries.timeline(case, public=True),
        "summary": queries.public_summary(case, length=400),
    })


# Recent cases -----------------------------------------------------------------------------------------------

def recent(request):
    found = queries.public_cases()
    chosen = {key: request.GET.get(key, "").strip() for key in ("track", "state", "county")}
    if chosen["track"] in Track.values:
        found = found.filter(track=chosen["track"])
    if chosen["state"] == "open":
        found = found.filter(status__in=PROCESSING)
    elif chosen["state"] == "closed":
        found = found.filter(status=Status.CLOSED)
    if chosen["county"]:
        found = found.filter(county__key=chosen["county"])
    page = Paginator(found, PUBLIC_PAGE_SIZE).get_page(request.GET.get("page"))
    for case in page:
        case.place = queries.public_place(case)
        case.summary = queries.public_summary(case)
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "cases/recent.html", {
        "page": page, "chosen": chosen, "tracks": Track.choices, "query_string": query.urlencode(),
        "counties": Region.objects.filter(level__in=[Level.COUNTY, Level.ZONE]).order_by("key"),
        "statuses": PUBLIC_STATUSES,
    })
