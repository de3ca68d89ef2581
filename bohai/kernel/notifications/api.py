"""The caller's own notifications: list, mark read. Another user's notifications do not exist here."""
from datetime import datetime

from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from bohai.kernel.api.paging import PageNumbers

from . import actions
from .queries import notifications_of, unread_count

router = Router()


class NotificationOut(Schema):
    id: int
    level: str
    title: str
    body: str
    link: str
    topic: str
    created_at: datetime
    read_at: datetime | None


class NotificationFilter(Schema):
    unread: bool | None = Field(None, description="true：只列未读；false：只列已读")


class ReadIn(Schema):
    ids: list[int] = Field(..., max_length=500, description="要标为已读的通知编号（他人的编号被忽略）")


class MarkedOut(Schema):
    marked: int


class UnreadOut(Schema):
    unread: int


@router.get("", response=list[NotificationOut], summary="我的通知（新的在前）")
@paginate(PageNumbers)
def list_notifications(request, filters: Query[NotificationFilter]):
    notifications = notifications_of(request.auth)
    if filters.unread is not None:
        notifications = notifications.filter(read_at__isnull=filters.unread)
    return notifications


@router.get("/unread-count", response=UnreadOut, summary="未读通知数")
def count_unread(request):
    return {"unread": unread_count(request.auth)}


@router.post("/read", response=MarkedOut, summary="标为已读")
def read(request, payload: ReadIn):
    return {"marked": actions.mark_read(payload.ids, actor=request.auth)}


@router.post("/read-all", response=MarkedOut, summary="全部标为已读")
def read_all(request):
    return {"marked": actions.mark_all_read(actor=request.auth)}
