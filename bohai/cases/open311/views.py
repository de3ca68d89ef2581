"""Open311 GeoReport v2 at /open311/v2/ (https://wiki.open311.org/GeoReport_v2).

    GET  discovery.{fmt}               where this endpoint is, its formats
    GET  services.{fmt}                the services (active minor classes and 12345 topics)
    GET  services/{code}.{fmt}         one service's attributes
    POST requests.{fmt}                report (api_key required; form-encoded, or multipart with `media`)
    GET  requests.{fmt}                requests, filtered; at most 1,000, newest first
    GET  requests/{id}.{fmt}           one request
    GET  tokens/{token}.{fmt}          the request id for a token
    GET  media/{id}/{photo}            a public report photo (the rows' media_url)

{fmt} is xml or json. Reads are anonymous, limited per client address (the API's anonymous
budget, BOHAI_API_ANON_RATE, shared with /api/v1); a report needs one of the platform's API keys
and is limited per key (BOHAI_API_AUTH_RATE). The key's service account is the reporter of
record. Reports are real-time: the answer carries the service_request_id (the case number) and a
token that GET tokens/ also resolves. Errors are the spec's list of {code, description}: 404 for
a missing resource, 403 for a missing or bad api_key, 429 over the limit, 400 for anything else.
No cookies are read, so no CSRF token is asked for.
"""
import functools
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation, ValidationError
from django.db.models import CharField, F, Value
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from bohai.kernel.api.auth import ApiKeyAuth
from bohai.kernel.api.quota import KeyQuota
from bohai.kernel.api.throttling import AddressRateThrottle
from bohai.kernel.files.reading import StoredFileUnavailable, file_response
from bohai.kernel.regions.models import Level, Region

from .. import actions
from ..models import CaseClass, CasePhoto, PhotoStage, Source, Track, Urgency
from . import catalogue, public
from .formats import CONTENT_TYPES, Open311Error, error_response, message, render

LIMIT = 1000
MAX_DAYS = 90
SPEC = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-12-02T00:00:00+08:00"
# The actions' field keys → the names an Open311 client sent.
FIELD_NAMES = {"location": "lat/long", "caller_phone": "phone", "caller_name": "first_name/last_name",
               "case_class": "service_code", "photos": "media", "appeal_type": "attribute[appeal_type]",
               "urgency": "attribute[urgent]"}
PERSONAL_FIELDS = ("email", "device_id", "first_name", "last_name", "phone", "account_id")


# The frame every endpoint shares ---------------------------------------------------------------

def endpoint(*methods: str):
    """Format check, allowed methods, the per-address limit on reads, and errors in the spec's form."""

    def decorate(view):
        @functools.wraps(view)
        def wrapper(request, fmt: str, **kwargs):
            fmt = fmt.lower()
            if fmt not in CONTENT_TYPES:
                return error_response("xml", 404, [message(request, "bad_format", fmt=fmt[:10])])
            allowed = (*methods, "HEAD") if "GET" in methods else methods
            if request.method not in allowed:
                response = error_response(fmt, 405, [message(request, "method", method=request.method)])
                response["Allow"] = ", ".join(allowed)
                return response
            if request.method != "POST" and not address_allows(request):
                return error_response(fmt, 429, [message(request, "rate_limited")])
            try:
                return view(request, fmt, **kwargs)
            except Open311Error as error:
                return error_response(fmt, error.status, error.descriptions)
            except RequestDataTooBig:
                return error_response(fmt, 413, [message(request, "too_large")])
            except SuspiciousOperation as error:  # too many fields, a broken multipart body
                return error_response(fmt, 400, [str(error) or message(request, "too_large")])

        return csrf_exempt(wrapper)

    return decorate


def address_allows(request) -> bool:
    return AddressRateThrottle(settings.BOHAI_API_ANON_RATE).allow_request(request)


def not_found(request, key: str, **params) -> Open311Error:
    return Open311Error(404, [message(request, key, **params)])


def bad(request, key: str, **params) -> Open311Error:
    return Open311Error(400, [message(request, key, **params)])


def given(value: str | None) -> str:
    """The spec: an empty optional argument behaves like an absent one."""
    return (value or "").strip()


def comma_list(value: str | None) -> list[str]:
    return [part.strip() for part in given(value).split(",") if part.strip()]


# Discovery and services ------------------------------------------------------------------------

@endpoint("GET")
def discovery(request, fmt):
    base = request.build_absolute_uri("/open311/v2/")
    data = {"changeset": CHANGESET, "contact": "沧州市数字化城市管理监督指挥中心 / 12345 政务服务便民热线",
            "key_service": "向沧州市数据和政务服务局申请接口密钥（api_key）",
            "endpoints": [{"specification": SPEC, "url": base, "changeset": CHANGESET, "type": "production",
                           "formats": ["text/xml", "application/json"]}]}
    return render(fmt, data, root="discovery")


@endpoint("GET")
def service_list(request, fmt):
    return render(fmt, [catalogue.service_entry(c) for c in catalogue.services()], root="services", item="service")


@endpoint("GET")
def service_definition(request, fmt, code: str):
    case_class = catalogue.service(code)
    if case_class is None:
        raise not_found(request, "no_service", code=code[:40])
    return render(fmt, catalogue.definition(case_class), root="service_definition")


# Requests --------------------------------------------------------------------------------------

@endpoint("GET", "POST")
def requests_view(request, fmt):
    if request.method == "POST":
        return post_request(request, fmt)
    return render(fmt, public.rows(list(filtered_requests(request)[:LIMIT]), request), root="service_requests",
                  item="request")


@endpoint("GET")
def request_detail(request, fmt, number: str):
    case = public.public_cases().filter(number=number).first()
    if case is None:
        raise not_found(request, "no_request", id=number[:30])
    return render(fmt, public.rows([case], request), root="service_requests", item="request")


@endpoint("GET")
def token_view(request, fmt, token: str):
    found = public.public_cases().filter(external_token=token).values_list("number", flat=True).first()
    if not token or found is None:
        raise not_found(request, "no_token", token=token[:40])
    return render(fmt, [{"service_request_id": found, "token": token}], root="service_requests", item="request")


def media(request, number: str, photo_id: int):
    """A report photo of a case whose place is public (the rows' media_url); 404 otherwise."""
    if not address_allows(request):
        return error_response("xml", 429, [message(request, "rate_limited")])
    photo = (CasePhoto.objects.select_related("stored_file", "case")
             .filter(pk=photo_id, case__number=number, stage=PhotoStage.REPORT).first())
    if photo is None or not public.shows_place(photo.case):
        return error_response("xml", 404, [message(request, "no_media")])
    try:
        return file_response(photo.stored_file, download_name=f"{number}-{photo.pk}", as_attachment=False)
    except StoredFileUnavailable:
        return error_response("xml", 404, [message(request, "no_media")])


def filtered_requests(request):
    """service_request_id overrides every other argument (the spec); otherwise service_code, status and a
    window of requested_datetime at most 90 days long (default: the last 90 days)."""
    query = request.GET
    cases = public.public_cases().order_by("-reported_at", "-id")
    numbers = comma_list(query.get("service_request_id"))
    if numbers:
        if len(numbers) > LIMIT:
            raise bad(request, "too_many_ids", limit=LIMIT)
        return cases.filter(number__in=numbers)
    start, end = window(request, given(query.get("start_date")), given(query.get("end_date")))
    cases = cases.filter(reported_at__gte=start, reported_at__lte=end)
    codes = comma_list(query.get("service_code"))
    if codes:
        known = set(CaseClass.objects.filter(code__in=codes, parent__isnull=False).values_list("code", flat=True))
        unknown = [code for code in codes if code not in known]
        if unknown:
            raise Open311Error(400, [message(request, "service_code_value", code=code[:40]) for code in unknown])
        cases = cases.filter(case_class__code__in=codes)
    statuses = {s.lower() for s in comma_list(query.get("status"))}
    if statuses - {"open", "closed"}:
        raise bad(request, "status_value", value=",".join(sorted(statuses - {"open", "closed"}))[:40])
    if statuses == {"open"}:
        cases = cases.exclude(status__in=public.CLOSED)
    elif statuses == {"closed"}:
        cases = cases.filter(status__in=public.CLOSED)
    return cases


def window(request, start_text: str, end_text: str) -> tuple[datetime, datetime]:
    start = parse_moment(request, "start_date", start_text)
    end = parse_moment(request, "end_date", end_text)
    span = timedelta(days=MAX_DAYS)
    if start is None and end is None:
        end = timezone.now()
        start = end - span
    elif start is None:
        start = end - span
    elif end is None:
        end = start + span
    if end < start:
        raise bad(request, "date_order")
    if end - start > span:
        days = (end - start).total_seconds() / 86400
        raise bad(request, "date_span", days=f"{days:.1f}".rstrip("0").rstrip("."))
    return start, end


def parse_moment(request, field: str, text: str) -> datetime | None:
    """ISO 8601; a time without offset is Beijing time; '+08:00' that arrived as ' 08:00' (an unencoded +) is mended."""
    if not text:
        return None
    if " " in text and text.count(":") >= 2 and text.rsplit(" ", 1)[1][:2].isdigit():
        head, tail = text.rsplit(" ", 1)
        text = f"{head}+{tail}"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise bad(request, "date_format", field=field) from None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, timezone.get_default_timezone())
    return moment


# Reporting -------------------------------------------------------------------------------------

def post_request(request, fmt):
    """A report counts against its key with the case, in the case's transaction; a refused one on its own."""
    data = request.POST
    account = ApiKeyAuth().authenticate(request, given(data.get("api_key")) or given(request.GET.get("api_key"))
                                        or given(request.headers.get("X-API-Key")))
    if account is None:
        raise Open311Error(403, [message(request, "api_key")])
    quota = KeyQuota(settings.BOHAI_API_AUTH_RATE)
    if not quota.has_room(request.api_key):
        raise Open311Error(429, [message(request, "rate_limited")])
    try:
        answer = report(request, data, account, charge=lambda: quota.charge(request.api_key))
    except Open311Error:
        quota.charge(request.api_key)
        raise
    return render(fmt, [answer], root="service_requests", item="request", status=201)


def report(request, data, account, *, charge) -> dict:
    code = given(data.get("service_code"))
    if not code:
        raise bad(request, "service_code_missing")
    case_class = catalogue.service(code)
    if case_class is None:
        raise bad(request, "no_service", code=code[:40])
    track = catalogue.track_of(case_class)
    place = location(request, data)
    choices = attribute_values(request, data, case_class)
    notes = [message(request, "media_url_ignored")] if given(data.get("media_url")) else []
    token = secrets.token_urlsafe(16)
    name = "".join(given(data.get(part)) for part in ("last_name", "first_name"))  # 姓 then 名
    try:
        case = actions.report_case(
            actor=account, track=track, source=Source.OPEN311, description=given(data.get("description"))
            or case_class.name, photos=request.FILES.getlist("media"), case_class=case_class,
            appeal_type=choices.get("appeal_type", ""), urgency=choices.get("urgent", Urgency.NORMAL),
            address=given(data.get("address_string"))[:200], caller_name=name[:20],
            caller_phone=given(data.get("phone")), external_token=token, charge=charge, **place)
    except ValidationError as error:
        raise Open311Error(400, field_messages(error)) from None
    received = message(request, "received_city" if track == Track.CITY else "received_hotline", id=case.number)
    return {"service_request_id": case.number, "token": token, "service_notice": " ".join([received, *notes]),
            "account_id": given(data.get("account_id"))[:64] or None}


def field_messages(error: ValidationError) -> list[str]:
    if not hasattr(error, "error_dict"):
        return list(error.messages)
    described = []
    for field, texts in error.message_dict.items():
        base = field.split("[", 1)[0]
        name = FIELD_NAMES.get(base, field)
        if base == "photos" and "[" in field:
            name = "media" + field[len(base):]
        described += [f"{name}：{text}" for text in texts]
    return described


def location(request, data) -> dict:
    """lat + long (checked against the city by the action), else address_id (a region or grid key), else the
    county, township or village named in address_string."""
    lat, lng = given(data.get("lat")), given(data.get("long"))
    if lat or lng:
        if not (lat and lng):
            raise bad(request, "lat_long_pair")
        try:
            return {"lat": float(lat), "lng": float(lng)}
        except ValueError:
            raise bad(request, "lat_long_number") from None
    address_id = given(data.get("address_id"))
    if address_id:
        region = (Region.objects.defer("boundary").filter(key=address_id).exclude(level=Level.CITY).first()
                  or Region.objects.defer("boundary").filter(code=address_id).exclude(level=Level.CITY).first())
        if region is None:
            raise bad(request, "address_id", id=address_id[:40])
        return {"region": region}
    address = given(data.get("address_string"))
    if address:
        region = region_named_in(address)
        if region is None:
            raise bad(request, "address_string", address=address[:60])
        return {"region": region}
    raise bad(request, "location_missing")


def attribute_values(request, data, case_class: CaseClass) -> dict:
    """attribute[code] values, each checked against the service's declared keys; required ones must be there."""
    chosen, problems = {}, []
    for attribute in catalogue.attributes(case_class):
        code = attribute["code"]
        value = given(data.get(f"attribute[{code}]"))
        keys = [v["key"] for v in attribute["values"]]
        if not value:
            if attribute["required"]:
                problems.append(message(request, "attribute_required", code=code))
            continue
        if value not in keys:
            problems.append(message(request, "attribute_value", code=code, value=value[:20], choices=", ".join(keys)))
            continue
        chosen[code] = value
    if problems:
        raise Open311Error(400, problems)
    return chosen


# Place names in an address_string ---------------------------------------------------------------

NAMED_LEVELS = (Level.COUNTY, Level.ZONE, Level.TOWNSHIP, Level.COMMUNITY)
DEPTH = {Level.COMMUNITY: 0, Level.TOWNSHIP: 1, Level.COUNTY: 2, Level.ZONE: 2}


def region_named_in(address: str) -> Region | None:
    """The deepest county, township or village named in the text that agrees with the others named there,
    when it is the only one of its level that does; None when the text names none."""
    found = list(Region.objects.defer("boundary").filter(level__in=NAMED_LEVELS)
                 .alias(text=Value(address, output_field=CharField())).filter(text__contains=F("name"))
                 .exclude(name__regex=r"^.?$"))
    for depth in (2, 1):
        named = [r for r in found if DEPTH[r.level] == depth]
        if len(named) == 1:
            found = [r for r in found if r.path.startswith(named[0].path) or DEPTH[r.level] > depth]
    for depth in (0, 1, 2):
        named = [r for r in found if DEPTH[r.level] == depth]
        if len(named) == 1:
            return named[0]
    return None
