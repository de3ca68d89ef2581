"""好差评: the applicant rates a completed application; a bad rating opens a rectification (15 working days)."""
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from bohai.engines.workdays.clock import working_calendar
from bohai.kernel.audit.recording import record, snapshot
from bohai.kernel.audit.service import Conflict, service_action

from ..models import REVIEW_DIMENSIONS, Application, EventKind, Rating, Rectification, RectificationStatus, Review, Status
from .timeline import add_event

RECTIFICATION_DAYS = 15


@service_action
def review_application(application: Application, *, rating: int, dimensions: dict | None = None, comment: str = "",
                       actor, at=None) -> Review:
    at = at or timezone.now()
    if application.status not in (Status.COMPLETED, Status.DENIED, Status.REJECTED):
        raise Conflict(_("办结后才能评价"))
    if Review.objects.filter(application=application).exists():
        raise Conflict(_("该办件已评价"))
    review = Review(application=application, rating=_check_rating(rating, "rating"),
                    dimensions=_check_dimensions(dimensions or {}), comment=_check_comment(comment, rating),
                    region=application.region, organisation=application.organisation, created_at=at)
    review.save()
    add_event(application, EventKind.REVIEWED, actor=actor, at=at, rating=review.get_rating_display())
    record(actor=actor, action="services.review", target=review, after=snapshot(review))
    if review.is_bad:
        _open_rectification(review, actor, at)
    return review


@service_action
def answer_rectification(rectification: Rectification, *, response: str, actor, at=None) -> Rectification:
    """The department answers with what it changed."""
    at = at or timezone.now()
    if not isinstance(actor, str) and not actor.has_perm("services.change_rectification"):
        raise PermissionDenied(_("没有反馈整改情况的权限"))
    if rectification.status != RectificationStatus.OPEN:
        raise Conflict(_("该整改已反馈"))
    if len((response or "").strip()) < 10:
        raise ValidationError({"response": [_("请写明整改措施和结果（至少 10 个字）")]})
    rectification.status, rectification.response, rectification.answered_at = RectificationStatus.ANSWERED, response.strip(), at
    rectification.on_time = at <= rectification.due_at
    rectification.save()
    record(actor=actor, action="services.rectification.answer", target=rectification, after={"on_time": rectification.on_time})
    return rectification


@service_action
def close_rectification(rectification: Rectification, *, actor, at=None) -> Rectification:
    """The government-service office checks the answer and closes the rectification."""
    at = at or timezone.now()
    if not isinstance(actor, str) and not actor.has_perm("services.close_rectification"):
        raise PermissionDenied(_("只有政务服务管理部门可以办结差评整改"))
    if rectification.status != RectificationStatus.ANSWERED:
        raise Conflict(_("尚未反馈整改情况，不能办结"))
    rectification.status, rectification.closed_at = RectificationStatus.CLOSED, at
    rectification.save()
    record(actor=actor, action="services.rectification.close", target=rectification)
    return rectification


def _check_rating(value, field: str) -> int:
    try:
        rating = int(value)
    except (TypeError, ValueError):
        rating = 0
    if rating not in Rating.values:
        raise ValidationError({field: [_("评价须为 1（非常不满意）到 5（非常满意）")]})
    return rating


def _check_dimensions(dimensions: dict) -> dict:
    unknown = set(dimensions) - set(REVIEW_DIMENSIONS)
    if unknown:
        raise ValidationError({"dimensions": [_("没有这些评价维度：%(keys)s") % {"keys": "、".join(sorted(unknown))}]})
    return {key: _check_rating(value, f"dimensions.{key}") for key, value in dimensions.items()}


def _check_comment(comment: str, rating) -> str:
    comment = (comment or "").strip()
    if len(comment) > 500:
        raise ValidationError({"comment": [_("评价内容不能超过 500 字")]})
    if str(rating) in ("1", "2") and not comment:
        raise ValidationError({"comment": [_("差评请写明不满意的原因，便于部门整改")]})
    return comment


def _open_rectification(review: Review, actor, at) -> None:
    due = working_calendar().deadline(at, RECTIFICATION_DAYS)
    rectification = Rectification.objects.create(review=review, region=review.region, organisation=review.organisation,
                                                  due_at=due)
    record(actor=actor, action="services.rectification.open", target=rectification, after={"due_at": due.isoformat()})
    _notify_heads(rectification, actor)


def _notify_heads(rectification: Rectification, actor) -> None:
    from bohai.kernel.accounts.models import RoleAssignment
    from bohai.kernel.notifications.actions import notify

    if rectification.organisation is None:
        return
    heads = {a.user for a in RoleAssignment.objects.filter(role__code="department_head").select_related("user", "organisation", "region")
             if rectification.region.path.startswith(a.region.path)
             and (a.organisation is None or rectification.organisation.path.startswith(a.organisation.path))}
    if heads:
        notify(sorted(heads, key=lambda u: u.pk), title=_("差评整改：%(number)s") % {"number": rectification.review.application.number},
               body=rectification.review.comment, link=f"/work/services/rectifications/{rectification.pk}/",
               level="danger", topic="services.rectification", actor=actor)
