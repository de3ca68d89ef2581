"""A user's own notifications: the list on the workbench (staff) and on the portal (everyone
signed in), marking read, and the bell as an htmx partial. Nobody reaches another's notification:
it answers 404."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from bohai.kernel.pages.access import is_staff_member, staff_required

from . import actions
from .models import Notification
from .queries import notifications_of

PAGE_SIZE = 20
REFRESH_BELL = "notifications-changed"  # an htmx event: the bell asks for its count again


@staff_required
def workbench_list(request):
    return _list_page(request, "notifications/workbench_list.html")


@login_required
def portal_list(request):
    return _list_page(request, "notifications/portal_list.html")


def _list_page(request, template: str):
    notifications = notifications_of(request.user)
    unread_only = request.GET.get("show") == "unread"
    if unread_only:
        notifications = notifications.filter(read_at__isnull=True)
    page = Paginator(notifications, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, template, {"page": page, "unread_only": unread_only})


@login_required
@require_POST
def mark_one_read(request, pk: int):
    notification = _own(request, pk)
    actions.mark_read([notification.pk], actor=request.user)
    if request.headers.get("HX-Request"):
        notification.refresh_from_db()
        response = render(request, "notifications/item.html", {"notification": notification})
        response["HX-Trigger"] = REFRESH_BELL
        return response
    return redirect(_back(request))


@login_required
@require_POST
def mark_all_read(request):
    count = actions.mark_all_read(actor=request.user)
    if count:
        messages.success(request, _("已将 %(count)d 条通知标为已读") % {"count": count})
    return redirect(_back(request))


@login_required
def open_notification(request, pk: int):
    """Following a notification's link marks it read."""
    notification = _own(request, pk)
    if not notification.is_read:
        actions.mark_read([notification.pk], actor=request.user)
    if notification.link and url_has_allowed_host_and_scheme(notification.link, allowed_hosts=None):
        return redirect(notification.link)
    return redirect(_list_url(request))


def bell(request):
    """The bell alone, for htmx to refresh; a session that ended gets nothing to swap in."""
    if not request.user.is_authenticated:
        return HttpResponse(status=204)
    face = "portal" if request.GET.get("face") == "portal" else "workbench"
    return render(request, "notifications/bell.html", {"bell_face": face})


def _own(request, pk: int) -> Notification:
    return get_object_or_404(Notification, pk=pk, recipient=request.user)


def _list_url(request) -> str:
    face = request.GET.get("face") or request.POST.get("face")
    staff_face = face in ("workbench", "ops") and is_staff_member(request.user)
    return reverse("notifications:workbench_list" if staff_face else "notifications:portal_list")


def _back(request) -> str:
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return _list_url(request)
