"""Workbench pages of the device owner: devices (list, one device with its latest values, history chart,
alarms and rejections, credentials), alarms to acknowledge, rules, the duty roster, rejected data."""
from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from bohai.engines.alarms import actions as alarm_actions
from bohai.engines.alarms import queries as alarm_queries
from bohai.engines.alarms.models import OPEN_STATES, Alarm, AlarmState, DutyShift, Rule, Severity
from bohai.kernel.audit.service import Conflict
from bohai.kernel.organisations.models import Organisation
from bohai.kernel.pages.access import staff_required
from bohai.kernel.regions.models import Region

from . import actions, series
from .actions.bulk import COLUMNS
from .forms import BulkRegistrationForm, DutyShiftForm, RuleForm
from .models import Device, DeviceStatus, DeviceType, Rejection, RejectionReason
from .presenting import is_online
from .subjects import SUBJECT_KIND

PAGE_SIZE = 50
ROSTER_LIMIT = 500


def _require(user, permission: str) -> None:
    if not user.has_perm(permission):
        raise PermissionDenied


def _query_string(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@staff_required
def devices(request):
    _require(request.user, "iot.view_device")
    found = Device.objects.restrict(request.user, "view").select_related("device_type", "organisation", "region")
    chosen_type, chosen_status, word = request.GET.get("type", ""), request.GET.get("status", ""), request.GET.get("q", "")
    if chosen_type:
        found = found.filter(device_type__code=chosen_type)
    if chosen_status:
        found = found.filter(status=chosen_status)
    if word:
        found = found.filter(Q(code__icontains=word) | Q(name__icontains=word))
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    for device in page:
        device.online = is_online(device)
    return render(request, "iot/devices.html", {
        "page": page, "types": DeviceType.objects.all(), "statuses": DeviceStatus.choices, "chosen_type": chosen_type,
        "chosen_status": chosen_status, "word": word, "query_string": _query_string(request),
        "total": found.count()})


@staff_required
def device(request, code: str):
    _require(request.user, "iot.view_device")
    found = Device.objects.select_related("device_type", "organisation", "region").get_in_scope(
        request.user, "view", code=code)
    metrics = list(found.device_type.metrics.all())
    latest = series.latest_of(Device.objects.filter(pk=found.pk)).get(found.code, {})
    return render(request, "iot/device.html", {
        "device": found, "online": is_online(found), "metrics": [(metric, latest.get(metric.code)) for metric in metrics],
        "alarms": alarm_queries.alarms_for_subject(request.user, SUBJECT_KIND, found.pk)[:20],
        "rejections": Rejection.objects.filter(device_code=found.code),
        "can_change": request.user.has_perm("iot.change_device"),
        "secret": request.session.pop(f"iot-secret-{found.code}", None)})


@staff_required
@require_POST
def device_credentials(request, code: str):
    found = Device.objects.get_in_scope(request.user, "change", code=code)
    request.session[f"iot-secret-{found.code}"] = actions.issue_credentials(found, actor=request.user)
    messages.success(request, _("已签发新凭据，旧凭据已失效。请立即复制保存，离开本页后不再显示。"))
    return redirect("iot:device", code=found.code)


@staff_required
@require_POST
def device_status(request, code: str):
    found = Device.objects.get_in_scope(request.user, "change", code=code)
    actions.change_device_status(found, actor=request.user, status=request.POST.get("status", ""),
                                 reason=request.POST.get("reason", ""))
    messages.success(request, _("设备状态已改为“%(status)s”。") % {"status": found.get_status_display()})
    return redirect("iot:device", code=found.code)


@staff_required
def alarms(request):
    _require(request.user, "alarms.view_alarm")
    state = request.GET.get("state", "open")
    found = Alarm.objects.restrict(request.user, "view").filter(subject_kind=SUBJECT_KIND).select_related("rule")
    found = found.filter(state__in=OPEN_STATES) if state == "open" else found.filter(state=state) if state else found
    severity = request.GET.get("severity", "")
    if severity:
        found = found.filter(severity=severity)
    page = Paginator(found.order_by("-raised_at", "-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    codes = dict(Device.objects.filter(pk__in={alarm.subject_id for alarm in page}).values_list("pk", "code"))
    for alarm in page:
        alarm.device_code = codes.get(alarm.subject_id, "")
    return render(request, "iot/alarms.html", {
        "page": page, "state": state, "severity": severity, "severities": Severity.choices,
        "states": AlarmState.choices, "counts": alarm_queries.open_counts_by_severity(request.user),
        "query_string": _query_string(request), "can_acknowledge": request.user.has_perm("alarms.acknowledge_alarm")})


@staff_required
@require_POST
def alarm_act(request, pk: int):
    alarm = alarm_queries.alarm_in_scope(request.user, pk, "acknowledge")
    note = request.POST.get("note", "")
    try:
        if request.POST.get("do") == "clear":
            alarm_actions.clear_alarm(alarm, actor=request.user, note=note)
            messages.success(request, _("告警已解除。"))
        else:
            alarm_actions.acknowledge_alarm(alarm, actor=request.user, note=note)
            messages.success(request, _("告警已确认，不再升级。"))
    except Conflict as conflict:
        messages.warning(request, str(conflict))
    return redirect(request.POST.get("next") or "iot:alarms")


@staff_required
def rules(request):
    _require(request.user, "alarms.view_rule")
    form = RuleForm(request.POST or None)
    if request.method == "POST":
        _require(request.user, "alarms.add_rule")
        if form.is_valid():
            try:
                _create_rule(request.user, form.cleaned_data)
            except ValidationError as error:
                _attach_errors(form, error)
            else:
                messages.success(request, _("规则已启用，新读数即按此规则判断。"))
                return redirect("iot:rules")
    found = Rule.objects.restrict(request.user, "view").filter(subject_kind=SUBJECT_KIND).select_related("region")
    return render(request, "iot/rules.html", {
        "rules": found.order_by("-active", "subject_type", "metric", "name"), "form": form,
        "type_names": dict(DeviceType.objects.values_list("code", "name")),
        "can_add": request.user.has_perm("alarms.add_rule"), "can_change": request.user.has_perm("alarms.change_rule"),
    }, status=422 if form.errors else 200)


def _create_rule(user, data: dict) -> Rule:
    organisation = getattr(user, "organisation", None)
    region = organisation.region if organisation else Region.objects.filter(parent__isnull=True).first()
    return alarm_actions.create_rule(
        actor=user, name=data["name"], subject_kind=SUBJECT_KIND, kind=data["kind"],
        subject_type=data["device_type"].code, metric=data.get("metric") or "", threshold=data.get("threshold"),
        lower=data.get("lower"), upper=data.get("upper"), minutes=data.get("minutes"), severity=data["severity"],
        escalation_minutes=data["escalation_minutes"], region=region, organisation=organisation)


def _attach_errors(form, error: ValidationError) -> None:
    for field, messages_of_field in getattr(error, "message_dict", {"__all__": error.messages}).items():
        form.add_error(field if field in form.fields else None, messages_of_field)


@staff_required
@require_POST
def rule_deactivate(request, pk: int):
    rule = Rule.objects.get_in_scope(request.user, "change", pk=pk, subject_kind=SUBJECT_KIND)
    alarm_actions.deactivate_rule(rule, actor=request.user)
    messages.success(request, _("规则已停用，其未解除的告警随之解除。"))
    return redirect("iot:rules")


@staff_required
def duty_roster(request):
    """Who is on duty for the units in the user's scope, now and ahead; heads add and remove shifts."""
    _require(request.user, "alarms.view_dutyshift")
    can_add = request.user.has_perm("alarms.add_dutyshift")
    initial = {**_next_day_shift(), "organisation": request.user.organisation_id}
    form = DutyShiftForm(request.user, request.POST or None, initial=initial) if can_add else None
    if request.method == "POST":
        _require(request.user, "alarms.add_dutyshift")
        if form.is_valid():
            try:
                added = alarm_actions.add_daily_duty_shifts(actor=request.user, **form.cleaned_data)
            except ValidationError as error:
                _attach_errors(form, error)
            else:
                messages.success(request, _("已排班 %(n)d 个班次。") % {"n": len(added)})
                return redirect("iot:duty_roster")
    now = timezone.now()
    shifts = list(DutyShift.objects.restrict(request.user, "view").filter(ends_at__gt=now)
                  .select_related("organisation", "user").order_by("starts_at", "organisation__path", "id")[:ROSTER_LIMIT])
    for shift in shifts:
        shift.is_now = shift.starts_at <= now
    return render(request, "iot/duty_roster.html", {
        "shifts": shifts, "form": form, "on_duty_now": sum(shift.is_now for shift in shifts),
        "units_now": len({shift.organisation_id for shift in shifts if shift.is_now}),
        "can_remove": request.user.has_perm("alarms.delete_dutyshift"), "limit": ROSTER_LIMIT,
    }, status=422 if form is not None and form.errors else 200)


def _next_day_shift() -> dict:
    """Tomorrow's day shift, 08:00 to 20:00, as the form's suggestion."""
    tomorrow = timezone.localtime() + timedelta(days=1)
    start = tomorrow.replace(hour=8, minute=0, second=0, microsecond=0)
    return {"starts_at": start, "ends_at": start + timedelta(hours=12), "days": 1}


@staff_required
@require_POST
def duty_shift_remove(request, pk: int):
    shift = DutyShift.objects.get_in_scope(request.user, "delete", pk=pk)
    alarm_actions.remove_duty_shift(shift, actor=request.user)
    messages.success(request, _("已取消该班次。"))
    return redirect("iot:duty_roster")


@staff_required
def register_from_file(request):
    _require(request.user, "iot.add_device")
    form = BulkRegistrationForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        try:
            report = actions.bulk_register(form.cleaned_data["file"].file, actor=request.user,
                                           allowed_organisations=Organisation.objects.restrict(
                                               request.user, permission="iot.add_device"))
        except ValidationError as error:
            _attach_errors(form, error)
    return render(request, "iot/register_from_file.html", {"form": form, "report": report,
                                                           "columns": [aliases[0] for aliases in COLUMNS.values()]})


@staff_required
def rejections(request):
    _require(request.user, "iot.view_rejection")
    found = Rejection.objects.restrict(request.user, "view")
    reason = request.GET.get("reason", "")
    if reason:
        found = found.filter(reason=reason)
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "iot/rejections.html", {
        "page": page, "reason": reason, "reasons": RejectionReason.choices, "query_string": _query_string(request)})
