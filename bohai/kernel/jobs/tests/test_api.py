import pytest
from django.contrib.auth.models import Permission

from bohai.kernel.accounts.models import User
from bohai.kernel.jobs.registry import enqueue, job
from bohai.kernel.jobs.runner import claim_next, run_job

pytestmark = pytest.mark.django_db


@pytest.fixture
def finished_job(job_registry):
    job("tests.report")(lambda year: {"rows": 12, "year": year})
    enqueue("tests.report", year=2025)
    return run_job(claim_next("w1"))


def signed_in(client, **permissions):
    user = User.objects.create_user("operator", password=None, kind="staff", **permissions)
    client.force_login(user)
    return user


def test_an_operator_with_view_permission_lists_jobs(client, finished_job):
    user = signed_in(client)
    user.user_permissions.add(Permission.objects.get(codename="view_job", content_type__app_label="jobs"))

    response = client.get("/api/v1/jobs/", {"status": "succeeded"})

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert body["results"][0]["name"] == "tests.report"
    assert "log" not in body["results"][0]


def test_the_detail_has_result_and_log(client, finished_job):
    user = signed_in(client)
    user.user_permissions.add(Permission.objects.get(codename="view_job", content_type__app_label="jobs"))

    body = client.get(f"/api/v1/jobs/{finished_job.id}").json()

    assert body["result"] == {"rows": 12, "year": 2025}
    assert body["arguments"] == {"year": 2025}
    assert "执行成功" in body["log"]


def test_without_permission_the_jobs_are_forbidden(client, finished_job):
    signed_in(client)

    assert client.get("/api/v1/jobs/").json()["code"] == "forbidden"
    assert client.get(f"/api/v1/jobs/{finished_job.id}").status_code == 403


def test_an_unknown_job_is_not_found_and_a_bad_status_is_a_field_error(client, finished_job):
    user = signed_in(client)
    user.user_permissions.add(Permission.objects.get(codename="view_job", content_type__app_label="jobs"))

    assert client.get(f"/api/v1/jobs/{finished_job.id + 1000}").status_code == 404
    response = client.get("/api/v1/jobs/", {"status": "sleeping"})
    assert response.status_code == 422
    assert "status" in response.json()["fields"]


def test_anonymous_callers_must_sign_in(client):
    assert client.get("/api/v1/jobs/").status_code == 401
