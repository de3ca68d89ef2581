"""The notification pages and the bell: each user sees and marks only their own."""
import pytest
from django.test import Client, RequestFactory

from bohai.kernel.notifications.actions import notify
from bohai.kernel.notifications.context import unread_notifications
from bohai.kernel.notifications.models import Notification
from bohai.testing.fixtures import signed_in_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer_with_news(officer, colleague):
    notify([officer], actor="t", title="办件即将超期", body="还剩 1 个工作日", level="warning",
           link="/work/")
    notify([officer], actor="t", title="办件已超期", level="danger")
    notify([colleague], actor="t", title="同事的通知")
    return officer


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_the_workbench_list_shows_the_officers_own_notifications(officer_with_news):
    html = page(signed_in_client(officer_with_news), "/work/notifications/")
    assert "办件即将超期" in html and "办件已超期" in html and "同事的通知" not in html
    assert 'data-level="warning"' in html and "预警" in html and "紧急" in html
    assert "var(--tblr-yellow)" in html and "var(--tblr-red)" in html
    assert "现在</time>" in html or "秒以前</time>" in html  # humanised, in Chinese
    assert "+08:00" in html  # Asia/Shanghai
    assert "全部标为已读" in html


def test_the_unread_filter(officer_with_news):
    client = signed_in_client(officer_with_news)
    Notification.objects.filter(title="办件已超期").update(read_at="2026-01-01T00:00:00Z")
    html = page(client, "/work/notifications/?show=unread")
    assert "办件即将超期" in html and "办件已超期" not in html


def test_a_resident_has_the_portal_list_but_not_the_workbench(resident):
    notify([resident], actor="t", title="请补正材料", level="warning")
    client = signed_in_client(resident)
    html = page(client, "/notifications/")
    assert "请补正材料" in html and "我的通知" in html
    assert client.get("/work/notifications/").status_code == 403


def test_visitors_are_sent_to_sign_in():
    response = Client().get("/notifications/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("url", ["/work/", "/ops/", "/"])
def test_the_bell_shows_the_unread_count_on_every_face(officer_with_news, url):
    html = page(signed_in_client(officer_with_news), url)
    assert 'data-unread="2"' in html
    assert "badge-notification" in html and "通知：2 条未读" in html


def test_the_bell_of_a_resident_leads_to_the_portal_list(resident):
    notify([resident], actor="t", title="提醒")
    html = page(signed_in_client(resident), "/")
    assert 'data-unread="1"' in html and 'href="/notifications/"' in html


def test_visitors_have_no_bell():
    html = Client().get("/").content.decode()
    assert "notification-bell" not in html


def test_the_bell_counts_with_one_query_and_only_when_shown(officer_with_news, django_assert_num_queries):
    request = RequestFactory().get("/work/")
    request.user = officer_with_news
    with django_assert_num_queries(0):
        count = unread_notifications(request)["unread_notifications"]
    with django_assert_num_queries(1):
        assert count() == 2 and count() == 2


def test_marking_one_read(officer_with_news):
    client = signed_in_client(officer_with_news)
    notification = Notification.objects.get(title="办件已超期")
    response = client.post(f"/notifications/{notification.pk}/read/", {"next": "/work/notifications/"})
    assert response.status_code == 302 and response["Location"] == "/work/notifications/"
    notification.refresh_from_db()
    assert notification.read_at is not None
    assert 'data-unread="1"' in page(client, "/work/")


def test_marking_one_read_through_htmx_returns_the_item_and_refreshes_the_bell(officer_with_news):
    client = signed_in_client(officer_with_news)
    notification = Notification.objects.get(title="办件已超期")
    response = client.post(f"/notifications/{notification.pk}/read/", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200 and response["HX-Trigger"] == "notifications-changed"
    assert 'data-read="true"' in html and "已读" in html and "<html" not in html


def test_nobody_reads_or_marks_anothers_notification(officer_with_news, colleague):
    theirs = Notification.objects.get(recipient=colleague)
    client = signed_in_client(officer_with_news)
    assert client.post(f"/notifications/{theirs.pk}/read/").status_code == 404
    assert client.get(f"/notifications/{theirs.pk}/open/").status_code == 404
    client.post("/notifications/read-all/")
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_all_read_goes_back(officer_with_news):
    client = signed_in_client(officer_with_news)
    response = client.post("/notifications/read-all/", {"next": "/work/notifications/?show=unread"})
    assert response["Location"] == "/work/notifications/?show=unread"
    assert not Notification.objects.filter(recipient=officer_with_news, read_at__isnull=True).exists()
    html = page(client, "/work/notifications/")
    assert "已将 2 条通知标为已读" in html and 'data-unread="0"' in html


def test_going_back_never_leaves_the_site(officer_with_news):
    client = signed_in_client(officer_with_news)
    response = client.post("/notifications/read-all/", {"next": "https://evil.example/", "face": "workbench"})
    assert response["Location"] == "/work/notifications/"


def test_marking_needs_post_and_a_csrf_token(officer_with_news):
    client = signed_in_client(officer_with_news)
    assert client.get("/notifications/read-all/").status_code == 405
    strict = Client(enforce_csrf_checks=True)
    strict.cookies = client.cookies
    assert strict.post("/notifications/read-all/").status_code == 403


def test_opening_a_notification_marks_it_read_and_follows_its_link(officer_with_news):
    client = signed_in_client(officer_with_news)
    notification = Notification.objects.get(title="办件即将超期")
    response = client.get(f"/notifications/{notification.pk}/open/")
    assert response.status_code == 302 and response["Location"] == "/work/"
    notification.refresh_from_db()
    assert notification.is_read


def test_the_bell_partial(officer_with_news):
    html = page(signed_in_client(officer_with_news), "/notifications/bell/?face=workbench")
    assert html.strip().startswith("<a") and 'data-unread="2"' in html and 'href="/work/notifications/"' in html
    assert Client().get("/notifications/bell/").status_code == 204


def test_the_menus_offer_the_lists(officer_with_news, resident):
    assert 'href="/work/notifications/"' in page(signed_in_client(officer_with_news), "/work/")
    assert "我的通知" in page(signed_in_client(resident), "/")
    assert "我的通知" not in Client().get("/").content.decode()
