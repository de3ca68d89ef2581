"""Declarative API tests: a module's API test is mostly data; this contract checks
authentication, permissions, scoping (404 outside scope), field-level validation errors
and the audit record, the same way for every record type.

    class TestPersonApi(UpdatableApiContract):
        list_url = "/api/v1/identities/persons"
        detail_url = "/api/v1/identities/persons/{pk}"
        view_role = "county_officer"
        audit_action = "identities.person.register"
        def make_record(self, region): ...
        def valid_payload(self, region): ...
        invalid_payloads = [({"id_number": "123"}, "id_number")]
"""
import json

import pytest

from bohai.kernel.audit.models import AuditRecord

from .fixtures import signed_in_client


class ScopedApiContract:
    list_url: str
    detail_url: str
    create_url: str
    patch_url: str
    view_role = "county_officer"
    write_role = "county_officer"
    audit_action: str | None = None
    invalid_payloads: list[tuple[dict, str]] = []
    patch_payload: dict = {}

    def make_record(self, region):
        raise NotImplementedError

    def valid_payload(self, region) -> dict:
        raise NotImplementedError

    @pytest.fixture
    def world(self, cangzhou, make_staff):
        return {
            "mine": self.make_record(cangzhou["cang"]),
            "theirs": self.make_record(cangzhou["qing"]),
            "officer": make_staff(self.view_role, cangzhou["cang"]),
            "writer": make_staff(self.write_role, cangzhou["cang"]),
            "nobody": make_staff(None, cangzhou["cang"]),
            **cangzhou,
        }

    def detail_path(self, record) -> str:
        return self.detail_url.format(pk=record.pk, key=getattr(record, "key", None))

    def ids_in_list(self, client) -> set[int]:
        response = client.get(self.list_url, {"page_size": 500})
        assert response.status_code == 200, response.content
        return {row["id"] for row in response.json()["results"]}

    def test_anonymous_is_refused(self, world, client):
        response = client.get(self.list_url)
        assert response.status_code == 401
        assert response.json()["code"] == "unauthenticated"

    def test_list_holds_only_records_in_scope(self, world):
        ids = self.ids_in_list(signed_in_client(world["officer"]))
        assert world["mine"].pk in ids
        assert world["theirs"].pk not in ids

    def test_user_without_role_sees_nothing(self, world):
        assert self.ids_in_list(signed_in_client(world["nobody"])) == set()

    def test_detail_inside_scope(self, world):
        response = signed_in_client(world["officer"]).get(self.detail_path(world["mine"]))
        assert response.status_code == 200

    def test_detail_outside_scope_is_404(self, world):
        response = signed_in_client(world["officer"]).get(self.detail_path(world["theirs"]))
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"



class WritableApiContract(ScopedApiContract):
    """Adds creation: field errors, the audit record, and refusal outside scope."""

    def test_create_reports_field_errors(self, world):
        client = signed_in_client(world["writer"])
        for patch, field in self.invalid_payloads:
            payload = {**self.valid_payload(world["cang"]), **patch}
            response = client.post(self.create_url, json.dumps(payload), content_type="application/json")
            assert response.status_code == 422, (patch, response.content)
            body = response.json()
            assert body["code"] == "invalid" and field in body["fields"], body
            assert all(isinstance(m, str) and m for m in body["fields"][field])

    def test_create_writes_audit_record(self, world):
        before = AuditRecord.objects.count()
        response = signed_in_client(world["writer"]).post(
            self.create_url, json.dumps(self.valid_payload(world["cang"])), content_type="application/json"
        )
        assert response.status_code == 201, response.content
        records = AuditRecord.objects.filter(action=self.audit_action, target_id=str(response.json()["id"]))
        assert records.count() == 1 and AuditRecord.objects.count() > before
        assert records.get().actor_id == world["writer"].pk
        assert records.get().channel == "api"

    def test_create_outside_scope_is_refused_and_leaves_nothing(self, world):
        before = AuditRecord.objects.count()
        response = signed_in_client(world["writer"]).post(
            self.create_url, json.dumps(self.valid_payload(world["qing"])), content_type="application/json"
        )
        assert response.status_code in (404, 422), response.content
        assert AuditRecord.objects.count() == before



class UpdatableApiContract(WritableApiContract):
    """Adds updates: 404 outside scope, 200 inside."""

    def test_update_outside_scope_is_404(self, world):
        client = signed_in_client(world["writer"])
        response = client.patch(self.patch_url.format(pk=world["theirs"].pk), json.dumps(self.patch_payload),
                                content_type="application/json")
        assert response.status_code == 404
        response = client.patch(self.patch_url.format(pk=world["mine"].pk), json.dumps(self.patch_payload),
                                content_type="application/json")
        assert response.status_code == 200, response.content
