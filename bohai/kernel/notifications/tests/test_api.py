"""The notifications API: the caller's own, paged; marking read ignores other people's ids."""
import json

import pytest
from django.test import Client

from bohai.kernel.notifications.actions import notify
from bohai.kernel.notifications.models import Notification
from bohai.testing.fixtures import signed_in_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def news(officer, colleague):
    for number in range(3):
        notify([officer], actor="t", title=f"第 {number} 条", level="info", topic="tests")
    notify([colleague], actor="t", title="同事的通知")
    return {"mine": list(Notification.objects.filter(recipient=officer)),
            "theirs": Notification.objects.get(recipient=colleague)}


def post(client, url, payload=None):
    return client.post(url, json.dumps(payload or {}), content_type="application/json")


def test_the_list_is_own_paged_and_newest_first(officer, news):
    body = signed_in_client(officer).get("/api/v1/notifications?page_size=2").json()
    assert body["count"] == 3 and body["page"] == 1 and body["page_size"] == 2
    assert [n["title"] for n in body["results"]] == ["第 2 条", "第 1 条"]
    assert set(body["results"][0]) == {"id", "level", "title", "body", "link", "topic", "created_at", "read_at"}


def test_the_unread_filter(officer, news):
    client = signed_in_client(officer)
    post(client, "/api/v1/notifications/read", {"ids": [news["mine"][0].pk]})
    assert client.get("/api/v1/notifications?unread=true").json()["count"] == 2
    assert client.get("/api/v1/notifications?unread=false").json()["count"] == 1
    assert client.get("/api/v1/notifications/unread-count").json() == {"unread": 2}


def test_marking_read_ignores_other_peoples_ids(officer, news):
    client = signed_in_client(officer)
    response = post(client, "/api/v1/notifications/read", {"ids": [news["theirs"].pk, news["mine"][1].pk]})
    assert response.status_code == 200 and response.json() == {"marked": 1}
    news["theirs"].refresh_from_db()
    assert news["theirs"].read_at is None


def test_read_all(officer, news):
    client = signed_in_client(officer)
    assert post(client, "/api/v1/notifications/read-all").json() == {"marked": 3}
    assert post(client, "/api/v1/notifications/read-all").json() == {"marked": 0}
    news["theirs"].refresh_from_db()
    assert news["theirs"].read_at is None


def test_a_bad_payload_answers_in_the_platforms_error_format(officer):
    response = post(signed_in_client(officer), "/api/v1/notifications/read", {"ids": ["x"]})
    assert response.status_code == 422


def test_visitors_are_refused():
    assert Client().get("/api/v1/notifications").status_code == 401
