from datetime import date

import pytest

from bohai.kernel.api.actions import issue_api_key, revoke_api_key
from bohai.kernel.api.router import api
from bohai.kernel.identities import actions as identity_actions
from bohai.kernel.identities.validators import make_resident_id
from bohai.kernel.accounts.actions import create_staff_account
from bohai.testing.api_contract import ScopedApiContract
from bohai.testing.fixtures import organisation_in, signed_in_client

pytestmark = pytest.mark.django_db


def test_api_key_acts_with_its_account_scope(cangzhou, make_staff, client):
    service_account = make_staff("county_officer", cangzhou["cang"])
    mine = identity_actions.register_person(actor="t", id_number=make_resident_id("130921", date(1990, 1, 1), 11), name="甲", region=cangzhou["cang"])
    identity_actions.register_person(actor="t", id_number=make_resident_id("130922", date(1990, 1, 1), 13), name="乙", region=cangzhou["qing"])
    _key, raw = issue_api_key(actor="t", name="沧县民政系统", account=service_account)
    response = client.get("/api/v1/identities/persons", HTTP_X_API_KEY=raw)
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [mine.pk]


def test_wrong_or_revoked_key_is_unauthenticated(cangzhou, make_staff, client):
    key, raw = issue_api_key(actor="t", name="x", account=make_staff("county_officer", cangzhou["cang"]))
    assert client.get("/api/v1/identities/persons", HTTP_X_API_KEY=raw[:-1] + ("A" if raw[-1] != "A" else "B")).status_code == 401
    revoke_api_key(key, actor="t")
    response = client.get("/api/v1/identities/persons", HTTP_X_API_KEY=raw)
    assert response.status_code == 401
    assert set(response.json()) == {"code", "message", "fields"}


def test_only_the_digest_of_a_key_is_stored(cangzhou, make_staff):
    key, raw = issue_api_key(actor="t", name="x", account=make_staff(None, cangzhou["cang"]))
    key.refresh_from_db()
    assert raw not in (key.digest, key.prefix) and len(key.digest) == 64


def test_schema_errors_use_the_one_format(cangzhou, make_staff):
    client = signed_in_client(make_staff("county_officer", cangzhou["cang"]))
    response = client.get("/api/v1/identities/persons", {"page": "abc", "page_size": 100000})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid" and set(body["fields"]) == {"page", "page_size"}


def test_unknown_ordering_is_a_field_error(cangzhou, make_staff):
    client = signed_in_client(make_staff("county_officer", cangzhou["cang"]))
    response = client.get("/api/v1/identities/persons", {"ordering": "id_number_cipher"})
    assert response.status_code == 422 and "ordering" in response.json()["fields"]


def test_rate_limit_answers_429_in_the_one_format(cangzhou, make_staff, monkeypatch):
    throttle = api.throttle[1]
    monkeypatch.setattr(throttle, "num_requests", 3)
    client = signed_in_client(make_staff("county_officer", cangzhou["cang"]))
    statuses = [client.get("/api/v1/accounts/me").status_code for _ in range(5)]
    assert statuses[:3] == [200, 200, 200] and statuses[-1] == 429
    assert client.get("/api/v1/accounts/me").json()["code"] == "rate_limited"


def test_two_callers_with_one_display_name_have_their_own_limits(cangzhou, make_staff, monkeypatch):
    throttle = api.throttle[1]
    monkeypatch.setattr(throttle, "num_requests", 2)
    first, second = make_staff("county_officer", cangzhou["cang"]), make_staff("county_officer", cangzhou["cang"])
    for user in (first, second):
        user.display_name = "王芳"
        user.save()
    client = signed_in_client(first)
    assert [client.get("/api/v1/accounts/me").status_code for _ in range(3)][-1] == 429
    assert signed_in_client(second).get("/api/v1/accounts/me").status_code == 200


def test_anonymous_limit_ignores_a_forged_forwarded_for(db, monkeypatch):
    from django.core.cache import cache
    from django.test import Client

    cache.clear()
    throttle = api.throttle[0]
    monkeypatch.setattr(throttle, "num_requests", 3)
    client = Client()
    statuses = [client.get("/api/v1/regions/geojson", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}").status_code for n in range(5)]
    assert statuses[-1] == 429


def test_openapi_document_is_served(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert "/api/v1/identities/persons" in response.json()["paths"]


class TestOrganisationApi(ScopedApiContract):
    list_url = "/api/v1/organisations/"
    detail_url = "/api/v1/organisations/{key}"

    def make_record(self, region):
        return organisation_in(region, function="water")


class TestUserApi(ScopedApiContract):
    list_url = "/api/v1/accounts/users"
    detail_url = "/api/v1/accounts/users/{pk}"
    view_role = "department_head"

    def make_record(self, region):
        return create_staff_account(actor="t", username=f"u-{region.key}", password="Long-enough-2026",
                                    organisation=organisation_in(region, function="health"))


def test_api_docs_live_at_the_documented_address(client):
    response = client.get("/api/docs", follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == "/api/v1/docs"
