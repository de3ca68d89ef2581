"""The demo applications on a small scale: every state, consistent workflows, the demo accounts'
applications, the named officers' queues, idempotency, and the bulk writing what the actions write."""
from dataclasses import replace

import pytest
from django.core.management import call_command
from django.utils import timezone

from bohai.engines.workflows.models import InstanceStatus, TaskStatus, WorkflowTask
from bohai.engines.workflows.queries import tasks_for
from bohai.kernel.accounts.models import RoleAssignment, User
from bohai.kernel.audit.models import AuditRecord
from bohai.kernel.notifications.models import Notification
from bohai.services import statistics
from bohai.services.demo import World, ensure_city_entities, generate_demo_applications, store_demo_batch
from bohai.services.models import (
    FINAL_STATUSES, Application, ApplicationEvent, Rectification, Review, ServiceItem, Status,
)

SMALL = {"count": 400, "replayed": 40}
OPEN = (Status.SUBMITTED, Status.SUPPLEMENT, Status.IN_REVIEW, Status.APPROVED, Status.LICENSED)


@pytest.fixture
def kernel_demo(db):
    """The city, its units, the catalogue, 400 residents, 80 organisations and the demo accounts."""
    call_command("demo", "--persons", "400", "--entities", "80", "--kernel-only", "--quiet")
    assert ServiceItem.objects.exists()


def _counts() -> dict:
    return {"applications": Application.objects.count(), "tasks": WorkflowTask.objects.count(),
            "events": ApplicationEvent.objects.count(), "reviews": Review.objects.count(),
            "rectifications": Rectification.objects.count(), "users": User.objects.count(),
            "assignments": RoleAssignment.objects.count(), "audit": AuditRecord.objects.count()}


def test_a_year_of_applications_in_every_state_twice(kernel_demo):
    first = generate_demo_applications(seed=2026, **SMALL)
    assert first["failed"] == 0 and first["through_actions"] >= 40 and first["bulk"] > 300
    statuses = set(Application.objects.values_list("status", flat=True))
    assert statuses == {s for s in Status.values if s != Status.DRAFT}
    for application in Application.objects.filter(status__in=OPEN).select_related("workflow"):
        instance = application.workflow
        open_tasks = list(WorkflowTask.objects.filter(instance=instance, status=TaskStatus.OPEN))
        assert open_tasks, application.number
        assert instance.status == (InstanceStatus.PAUSED if application.status == Status.SUPPLEMENT
                                   else InstanceStatus.RUNNING)
        assert all(task.stage_key == instance.stage_key and task.due_at for task in open_tasks)
        assert application.due_at == instance.due_at or application.status == Status.SUPPLEMENT
    for application in Application.objects.filter(status__in=FINAL_STATUSES).select_related("workflow")[:200]:
        assert application.workflow.status in (InstanceStatus.FINISHED, InstanceStatus.CANCELLED)
        assert not WorkflowTask.objects.filter(instance=application.workflow, status=TaskStatus.OPEN).exists()
        assert application.completed_at and application.number
    assert Rectification.objects.filter(status="open").exists() and Rectification.objects.filter(status="closed").exists()
    # One audit record per batch of the bulk.
    assert AuditRecord.objects.filter(action="services.demo.applications").count() == 1
    before = _counts()
    second = generate_demo_applications(seed=2026, **SMALL)
    assert second["applications"] == 0 and second["roles_granted"] == 0
    assert _counts() == before


def test_the_figures_look_like_a_service_office(kernel_demo):
    generate_demo_applications(seed=2026, **SMALL)
    figures = statistics.summary().measures
    assert 80 <= figures.online_rate <= 97
    assert 88 <= figures.on_time_rate <= 100
    assert figures.satisfaction >= 80 and figures.bad >= 1
    months = statistics.breakdown("month")
    assert len(months) == 13 and sum(row.measures.submitted for row in months) == figures.submitted


def test_the_demo_accounts_have_their_applications(kernel_demo):
    generate_demo_applications(seed=2026, **SMALL)
    resident = User.objects.get(username="resident")
    mine = Application.objects.filter(applicant_person=resident.person)
    assert {Status.SUPPLEMENT, Status.COMPLETED, Status.IN_REVIEW, Status.SUBMITTED} <= set(mine.values_list("status", flat=True))
    assert mine.filter(status=Status.COMPLETED).exclude(license_number="").exists()
    assert mine.filter(submitted_by=resident).exists()
    agent = User.objects.get(username="agent")
    theirs = Application.objects.filter(applicant_entity=agent.legal_entity)
    assert {Status.SUPPLEMENT, Status.COMPLETED, Status.LICENSED} <= set(theirs.values_list("status", flat=True))
    assert theirs.filter(status=Status.COMPLETED).exclude(license_number="").exists()


def test_the_named_officers_and_the_unit_staff_have_work(kernel_demo):
    generate_demo_applications(seed=2026, **SMALL)
    for username in ("clerk", "dept_head"):
        user = User.objects.get(username=username)
        assert tasks_for(user).exists(), username
    assert WorkflowTask.objects.filter(status=TaskStatus.OPEN, warning=2).exists()     # red cards, raised by the job
    assert Notification.objects.filter(topic="workflows.deadline").exists()
    head = User.objects.get(username="dept_head")
    assert Rectification.objects.restrict(head).exists()
    officer = User.objects.get(username="130900-civil_affairs")
    grant = RoleAssignment.objects.get(user=officer, role__code="service_officer")
    assert grant.organisation == officer.organisation and grant.region == officer.organisation.region


def test_the_bulk_writes_what_the_actions_would(kernel_demo):
    """The same stories written in bulk and through the actions leave the same rows."""
    world = World.build(2026, list(ServiceItem.objects.order_by("code")), ensure_city_entities(actor="test"),
                        now=timezone.now(), actor="test")
    plain = [s for s in world.plan(400) if not s.item.license_type and world.replayable(s)]
    shapes = {}
    for spec in plain:
        kinds = [op.kind for op in spec.ops]
        outcomes = [op.outcome for op in spec.ops if op.kind == "complete"]
        shape = ("ask" in kinds, "supplement" in kinds, kinds[-1], tuple(outcomes[-1:]), spec.item.workflow is not None)
        shapes.setdefault(shape, spec)
    picked = list(shapes.values())  # completed, refused, withdrawn, open; with and without a supplement
    assert len(picked) >= 8
    for spec in picked:
        bulk, real = replace(spec, key=spec.key + ":b"), replace(spec, key=spec.key + ":r")
        world.ensure_accounts([spec], "test")
        store_demo_batch(world, [bulk], actor="test")
        assert world.replay(real) is not None
        written, acted = (Application.objects.get(idempotency_key=s.key) for s in (bulk, real))
        fields = ("status", "submitted_at", "accepted_at", "decided_at", "completed_at", "due_at", "on_time",
                  "working_days", "handled_online", "region_id", "organisation_id", "submitted_by_id", "reason", "form_data")
        assert [getattr(written, f) for f in fields] == [getattr(acted, f) for f in fields], spec.key
        assert _tasks(written) == _tasks(acted), spec.key
        assert _events(written) == _events(acted), spec.key
        for name in ("status", "stage_key", "due_at", "yellow_at", "paused_days", "outcome", "finished_at"):
            assert getattr(written.workflow, name) == getattr(acted.workflow, name), (spec.key, name)


def _tasks(application) -> list:
    return list(WorkflowTask.objects.filter(instance=application.workflow).order_by("opened_at", "stage_key", "step_key")
                .values_list("stage_key", "step_key", "role", "organisation_id", "status", "outcome", "opened_at",
                             "completed_at", "due_at", "yellow_at", "paused_days", "completed_by_id"))


def _events(application) -> list:
    return list(application.events.order_by("at", "id").values_list("kind", "at", "public", "actor_id"))
