"""Dispatch, sign, send back, handle, verify (pass or rework), extensions and the backlog (挂账)."""
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from bohai.engines.workflows import actions as workflow
from bohai.engines.workflows.models import TaskStatus, WorkflowTask
from bohai.kernel.audit.recording import record
from bohai.kernel.audit.service import Conflict, service_action
from bohai.kernel.events.outbox import publish
from bohai.kernel.files.actions import store_upload

from ..models import (
    Case, CaseClass, CasePhoto, DispatchCorrection, ExtensionRequest, ExtensionStatus, PhotoStage, Status, Track,
)
from ..processes import DISPATCH, HANDLE, ROUTE, SIGN, VERIFY, city_process, hotline_process
from .timeline import add_event
from .steps import open_task, take_step

PHOTO_MAX_BYTES = 10 * 1024 * 1024


@service_action
def dispatch_case(case: Case, *, organisation, actor, case_class: CaseClass | None = None, expected_version=None,
                  at=None) -> Case:
    """派遣 (or 12345 派单) to a unit; a class other than the model's first choice is kept for retraining."""
    at = at or timezone.now()
    case = _locked(case)
    stage = DISPATCH if case.track == Track.CITY else ROUTE
    task = open_task(case, stage, actor)
    if case_class is not None and case_class.pk != case.case_class_id:
        _reclass(case, case_class)
    _keep_correction(case)
    workflow.assign_unit(case.workflow, organisation, actor=actor)
    workflow.complete_task(task, outcome="approve", actor=actor, at=at, expected_version=expected_version)
    case.organisation, case.dispatched_at, case.status = organisation, at, Status.DISPATCHED
    case.dispatch_count += 1
    if case.track == Track.HOTLINE:
        case.status = Status.HANDLING
        case.due_at = _handle_due(case)
    case.save()
    add_event(case, "dispatched", actor=actor, at=at, unit=organisation.name)
    publish("cases.dispatched", {"case_id": case.pk, "organisation_id": organisation.pk})
    return case


@service_action
def sign_case(case: Case, *, actor, expected_version: int | None = None, at=None) -> Case:
    """签收: the unit takes responsibility; the handling clock starts."""
    at = at or timezone.now()
    case = _locked(case)
    take_step(case, SIGN, actor=actor, at=at, expected_version=expected_version)
    case.status, case.signed_at = Status.HANDLING, at
    case.due_at = _handle_due(case)
    if case.first_dispatch_correct is None:
        case.first_dispatch_correct = case.sendback_count == 0
    case.save()
    add_event(case, "signed", actor=actor, at=at)
    return case


@service_action
def send_back(case: Case, *, reason: str, actor, expected_version: int | None = None, at=None) -> Case:
    """Not ours: back to the dispatcher with the reason, to be dispatched again."""
    at = at or timezone.now()
    if len((reason or "").strip()) < 4:
        raise ValidationError({"reason": [_("请写明不属于本单位职责的理由")]})
    case = _locked(case)
    # 数字城管 returns from 签收 to 派遣; the 12345 loop has no signing stage and returns from 办理 to 派单.
    take_step(case, SIGN if case.track == Track.CITY else HANDLE, actor=actor, at=at, outcome="return", comment=reason,
              expected_version=expected_version)
    case.status, case.reason, case.organisation = Status.FILED if case.track == Track.CITY else Status.ACCEPTED, reason.strip()[:400], None
    case.sendback_count += 1
    case.first_dispatch_correct = False
    case.save()
    add_event(case, "sent_back", actor=actor, at=at, reason=case.reason)
    return case


def report_handled(case: Case, *, actor, note: str, photos: list = (), expected_version: int | None = None, at=None) -> Case:
    """处置反馈 with photos (stored before the transaction); for 12345, the reply to the citizen."""
    stored = _store_photos(photos, actor)
    return _report_handled(case, actor=actor, note=note, stored=stored, expected_version=expected_version, at=at)


@service_action
def _report_handled(case: Case, *, actor, note: str, stored: list, expected_version: int | None = None, at=None) -> Case:
    at = at or timezone.now()
    if len((note or "").strip()) < 4:
        raise ValidationError({"note": [_("请写明处置情况（至少 4 个字）") if case.track == Track.CITY
                                        else _("请写明对群众的答复（至少 4 个字）")]})
    case = _locked(case)
    take_step(case, HANDLE, actor=actor, at=at, comment=note, expected_version=expected_version)
    CasePhoto.objects.bulk_create([CasePhoto(case=case, stage=PhotoStage.HANDLED, stored_file=f) for f in stored])
    case.status, case.handled_at = (Status.HANDLED if case.track == Track.CITY else Status.REPLIED), at
    case.save(update_fields=["status", "handled_at", "updated_at"])
    add_event(case, "handled" if case.track == Track.CITY else "replied", actor=actor, at=at, note=note.strip())
    return case


def verify_case(case: Case, *, actor, passed: bool, note: str = "", photos: list = (), expected_version: int | None = None,
                at=None) -> Case:
    stored = _store_photos(photos, actor)
    return _verify(case, actor=actor, passed=passed, note=note, stored=stored, expected_version=expected_version, at=at)


@service_action
def _verify(case: Case, *, actor, passed: bool, note: str, stored: list, expected_version: int | None = None,
            at=None) -> Case:
    """核查: a grid worker checks on site; pass closes the case, fail sends it back to the unit (返工)."""
    at = at or timezone.now()
    if not passed and len((note or "").strip()) < 4:
        raise ValidationError({"note": [_("核查不通过时请写明问题所在")]})
    case = _locked(case)
    CasePhoto.objects.bulk_create([CasePhoto(case=case, stage=PhotoStage.VERIFY, stored_file=f) for f in stored])
    case.verified_count += 1
    if passed:
        take_step(case, VERIFY, actor=actor, at=at, comment=note, expected_version=expected_version)
        _close(case, at)
        add_event(case, "verified", actor=actor, at=at, note=note)
    else:
        task = open_task(case, VERIFY, actor)
        if expected_version is not None and task.version != expected_version:
            raise Conflict(_("该任务已由他人办理，请刷新后查看"))
        workflow.reopen_stage(case.workflow, HANDLE, reason=note, actor=actor, at=at)
        case.status, case.rework_count = Status.HANDLING, case.rework_count + 1
        add_event(case, "rework", actor=actor, at=at, note=note)
    case.save()
    return case


@service_action
def follow_up(case: Case, *, satisfaction: str, note: str = "", actor, expected_version: int | None = None,
              at=None) -> Case:
    """12345 回访: the citizen's satisfaction is recorded and the appeal closed."""
    from ..models import Satisfaction

    at = at or timezone.now()
    if satisfaction not in Satisfaction.values:
        raise ValidationError({"satisfaction": [_("满意度只能是 满意、基本满意 或 不满意")]})
    case = _locked(case)
    take_step(case, "follow_up", actor=actor, at=at, comment=note, expected_version=expected_version)
    case.satisfaction = satisfaction
    _close(case, at)
    case.save()
    add_event(case, "followed_up", actor=actor, at=at, satisfaction=case.get_satisfaction_display(), note=note)
    return case


@service_action
def request_extension(case: Case, *, days: int, reason: str, actor) -> ExtensionRequest:
    if not isinstance(days, int) or not 1 <= days <= 30:
        raise ValidationError({"days": [_("延期天数应为 1–30 个工作日")]})
    if len((reason or "").strip()) < 4:
        raise ValidationError({"reason": [_("请写明延期理由")]})
    open_task(case, HANDLE, actor)
    if case.extensions.filter(status=ExtensionStatus.PENDING).exists():
        raise Conflict(_("已有待审批的延期申请"))
    extension = ExtensionRequest.objects.create(case=case, days=days, reason=reason.strip(), requested_by=actor if _is_user(actor) else None)
    add_event(case, "extension_requested", actor=actor, public=False, days=days, reason=extension.reason)
    record(actor=actor, action="cases.extension.request", target=extension, after={"days": days})
    return extension


@service_action
def decide_extension(extension: ExtensionRequest, *, approve: bool, actor, at=None) -> ExtensionRequest:
    """The supervision centre approves or refuses; approved days are added to the handling limit."""
    at = at or timezone.now()
    _require_supervisor(actor)
    updated = ExtensionRequest.objects.filter(pk=extension.pk, status=ExtensionStatus.PENDING).update(
        status=ExtensionStatus.APPROVED if approve else ExtensionStatus.REFUSED, decided_at=at,
        decided_by=actor if _is_user(actor) else None)
    if not updated:
        raise Conflict(_("该延期申请已审批"))
    extension.refresh_from_db()
    case = _locked(extension.case)
    if approve:
        workflow.extend_stage(case.workflow, HANDLE, extension.days, actor=actor)
        case.extended_days += extension.days
        case.due_at = _handle_due(case)
        case.save()
    add_event(case, "extension_approved" if approve else "extension_refused", actor=actor, at=at, public=False,
              days=extension.days)
    return extension


@service_action
def defer_case(case: Case, *, reason: str, actor, at=None) -> Case:
    """挂账: a problem that cannot be solved now (funding, planning); the clocks stop and it leaves the rates."""
    at = at or timezone.now()
    _require_supervisor(actor)
    if len((reason or "").strip()) < 4:
        raise ValidationError({"reason": [_("请写明挂账原因")]})
    case = _locked(case)
    if case.status not in (Status.HANDLING, Status.DISPATCHED):
        raise Conflict(_("只有处置中的案件可以挂账"))
    workflow.pause_process(case.workflow, reason=reason, actor=actor, at=at)
    case.status, case.deferred_reason = Status.DEFERRED, reason.strip()[:200]
    case.save()
    add_event(case, "deferred", actor=actor, at=at, reason=case.deferred_reason)
    return case


@service_action
def resume_deferred(case: Case, *, actor, at=None) -> Case:
    at = at or timezone.now()
    _require_supervisor(actor)
    case = _locked(case)
    if case.status != Status.DEFERRED:
        raise Conflict(_("该案件未挂账"))
    workflow.resume_process(case.workflow, actor=actor, at=at)
    case.status = Status.HANDLING
    case.due_at = _handle_due(case)
    case.save()
    add_event(case, "resumed", actor=actor, at=at)
    return case


# Helpers --------------------------------------------------------------------------------------

def _locked(case: Case) -> Case:
    return Case.objects.select_for_update(of=("self",)).select_related("case_class", "workflow").get(pk=case.pk)


def _handle_due(case: Case):
    task = WorkflowTask.objects.filter(instance_id=case.workflow_id, stage_key=HANDLE, status=TaskStatus.OPEN).first()
    if task is not None:
        return task.due_at
    return case.due_at


def _close(case: Case, at) -> None:
    case.status, case.closed_at = Status.CLOSED, at
    limit = case.due_at
    case.on_time = limit is None or (case.handled_at or at) <= limit
    publish("cases.closed", {"case_id": case.pk, "on_time": case.on_time})


def _reclass(case: Case, case_class: CaseClass) -> None:
    if not case_class.is_minor:
        raise ValidationError({"case_class": [_("请选择小类")]})
    case.case_class = case_class
    urgent = case.urgency == "urgent"
    process = city_process(case_class, urgent) if case.track == Track.CITY else hotline_process(case_class, urgent)
    workflow.redeclare(case.workflow, process, actor="system:cases")


def _keep_correction(case: Case) -> None:
    """A chosen class whose model label differs from the first suggestion's teaches the model something;
    a 12345 topic and a 数字城管 class may share one label (油烟), which teaches nothing."""
    top = (case.suggestion or {}).get("top") or []
    suggested_code = top[0]["class_code"] if top else ""
    suggested_label = CaseClass.objects.filter(code=suggested_code).values_list("model_label", flat=True).first() or ""
    chosen = case.case_class.model_label if case.case_class else ""
    if chosen and chosen != suggested_label:
        DispatchCorrection.objects.create(case=case, text=case.description, suggested=suggested_label, chosen=chosen)


def _store_photos(photos, actor) -> list:
    stored, problems = [], {}
    for position, photo in enumerate(photos):
        try:
            stored.append(store_upload(photo, actor=actor, allowed_kinds=("jpeg", "png"), max_bytes=PHOTO_MAX_BYTES,
                                       field=f"photos[{position}]"))
        except ValidationError as error:
            problems.update(error.message_dict)
    if problems:
        raise ValidationError(problems)
    return stored


def _require_supervisor(actor) -> None:
    if _is_user(actor) and not actor.has_perm("cases.file_case"):
        raise PermissionDenied(_("只有监督中心可以审批延期、挂账或恢复"))


@service_action
def reveal_caller_phone(case: Case, *, reason: str, actor) -> str:
    """The caller's number for the call-back (回访), audited with the reason; only for whom the case is in scope."""
    if len((reason or "").strip()) < 2:
        raise ValidationError({"reason": [_("请写明查看号码的原因，如 回访")]})
    if _is_user(actor) and not (actor.has_perm("cases.reveal_caller")
                                and Case.objects.restrict(actor, "view").filter(pk=case.pk).exists()):
        raise PermissionDenied(_("没有查看来电号码的权限"))
    from bohai.kernel.crypto.fields import decrypt

    record(actor=actor, action="cases.caller.reveal", target=case, after={"reason": reason.strip()})
    return decrypt(case.caller_phone_cipher)


def _is_user(actor) -> bool:
    return hasattr(actor, "pk") and not isinstance(actor, str)
