"""The demo cases on a small scale, run twice: every state, consistent workflows (open cases have their
open task), the named accounts' work, rates like the city's, idempotency, and the bulk writing what the
actions write."""
from dataclasses import replace

import pytest
from django.core.management import call_command
from django.utils import timezone

from bohai.cases import indicators
from bohai.cases.demo import World, generate_demo_cases, store_demo_batch
from bohai.cases.indicators import Filters
from bohai.cases.models import Case, CaseEvent, DispatchCorrection, Status, Track
from bohai.cases.setup_steps import demo_steps
from bohai.engines.workflows.models import InstanceStatus, TaskStatus, WorkflowTask
from bohai.engines.workflows.queries import tasks_for
from bohai.kernel.accounts.models import RoleAssignment, User
from bohai.kernel.audit.models import AuditRecord
from bohai.kernel.regions.actions import build_demo_grid, load_reference_divisions

SMALL = {"count": 500, "replayed": 30}
OPEN_STAGE = {Status.REPORTED: "file", Status.FILED: "dispatch", Status.DISPATCHED: "sign", Status.HANDLING: "handle",
              Status.HANDLED: "verify", Status.ACCEPTED: "route", Status.REPLIED: "follow_up", Status.DEFERRED: "handle"}


@pytest.fixture
def kernel_demo(db):
    """Cangzhou with its boundaries and the seat's demo grid, the units, the classes and the demo accounts."""
    load_reference_divisions(actor="test")
    build_demo_grid(actor="test")
    call_command("demo", "--persons", "200", "--entities", "40", "--kernel-only", "--quiet")


def _counts() -> dict:
    return {"cases": Case.objects.count(), "tasks": WorkflowTask.objects.count(), "events": CaseEvent.objects.count(),
            "corrections": DispatchCorrection.objects.count(), "assignments": RoleAssignment.objects.count(),
            "audit": AuditRecord.objects.count()}


def test_a_year_of_cases_in_every_state_twice(kernel_demo):
    assert [str(label) for label, _generate in demo_steps()] == ["网格与12345案件（近一年）"]
    first = generate_demo_cases(seed=2026, **SMALL)
    assert first["failed"] == 0 and first["through_actions"] >= 30 and first["bulk"] > 400
    assert set(Case.objects.values_list("status", flat=True)) == set(Status.values)
    assert Case.objects.filter(track=Track.CITY).values("county").distinct().count() == 16  # every county
    for case in Case.objects.exclude(status__in=(Status.CLOSED, Status.INVALID, Status.MERGED)).select_related("workflow"):
        open_tasks = list(WorkflowTask.objects.filter(instance=case.workflow, status=TaskStatus.OPEN))
        assert [task.stage_key for task in open_tasks] == [OPEN_STAGE[case.status]], case.number
        assert case.workflow.status == (InstanceStatus.PAUSED if case.status == Status.DEFERRED else InstanceStatus.RUNNING)
        assert all(task.due_at for task in open_tasks)
        if case.status in (Status.HANDLING, Status.HANDLED, Status.REPLIED, Status.DEFERRED):
            assert case.due_at and case.organisation_id, case.number
    for case in Case.objects.filter(status__in=(Status.CLOSED, Status.INVALID, Status.MERGED)).select_related("workflow")[:300]:
        assert case.workflow.status == InstanceStatus.FINISHED and case.closed_at and case.number
        assert not WorkflowTask.objects.filter(instance=case.workflow, status=TaskStatus.OPEN).exists()
    merged = Case.objects.filter(status=Status.MERGED).select_related("duplicate_of")
    assert merged and all(c.duplicate_of and c.duplicate_of.status not in (Status.MERGED, Status.INVALID) for c in merged)
    assert Case.objects.filter(grid__isnull=False).exists() and Case.objects.exclude(caller_phone_masked="").exists()
    assert AuditRecord.objects.filter(action="cases.demo.cases").count() == 1        # one per batch of the bulk
    before = _counts()
    second = generate_demo_cases(seed=2026, **SMALL)
    assert second["cases"] == 0 and second["roles_granted"] == 0
    assert _counts() == before


def test_the_figures_look_like_a_city(kernel_demo):
    generate_demo_cases(seed=2026, **SMALL)
    start, end = indicators.last_months(13)
    figures = indicators.summary(Filters(start=start, end=end))
    assert 84 <= figures.closure_rate <= 97 and 66 <= figures.on_time_closure_rate <= 84
    assert figures.rework_rate <= 4 and 82 <= figures.satisfaction_rate <= 97 and figures.dispatch_accuracy >= 85
    months = indicators.trend(Filters(start=start, end=end))
    assert len(months) == 13 and sum(row.measures.reported for row in months) == figures.reported


def test_the_named_accounts_have_work(kernel_demo):
    generate_demo_cases(seed=2026, **SMALL)
    worker = User.objects.get(username="grid_worker")
    assert {t.stage_key for t in tasks_for(worker)} == {"verify"} and tasks_for(worker).count() >= 4
    hotline = User.objects.get(username="hotline")
    assert {"follow_up", "route"} <= {t.stage_key for t in tasks_for(hotline)}
    head = User.objects.get(username="dept_head")
    theirs = Case.objects.restrict(head)
    assert theirs.count() >= 6 and set(theirs.values_list("organisation__key", flat=True)) == {"130900-civil_affairs"}
    centre = User.objects.get(username="130900-grid_command")
    assert {"file", "dispatch"} <= {t.stage_key for t in tasks_for(centre)}
    handler = User.objects.get(username="130903-urban_management")
    grant = RoleAssignment.objects.get(user=handler, role__code="case_handler")
    assert grant.organisation == handler.organisation and grant.region == handler.organisation.region
    assert tasks_for(handler).exists()


def test_the_bulk_writes_what_the_actions_would(kernel_demo):
    """The same stories written in bulk and through the actions leave the same rows."""
    generate_demo_cases(seed=2026, count=0, replayed=0)   # the roles, so both ways find the same officers
    world = World.build(2026, timezone.now(), "test")
    stories = world.plan(500) + world.showcases()
    shapes = {}
    for story in stories:
        kinds = tuple(op.kind for op in story.ops)
        shapes.setdefault((story.track, kinds, bool(story.grid)), story)
    picked = [s for s in shapes.values() if s.ops[-1].kind != "refuse" or not s.ops[-1].merge_into]
    assert len(picked) >= 12
    world.suggest(picked)
    for story in picked:
        bulk, real = replace(story, key=story.key + ":b"), replace(story, key=story.key + ":r")
        store_demo_batch(world, [bulk], actor="test")
        assert world.replay(real) is not None, story.key
        written, acted = (Case.objects.select_related("workflow").get(external_token=s.key) for s in (bulk, real))
        fields = ("status", "track", "source", "case_class_id", "region_id", "county_id", "township_id", "grid_id",
                  "organisation_id", "urgency", "reporter_id", "reported_at", "filed_at", "dispatched_at", "signed_at",
                  "handled_at", "closed_at", "due_at", "dispatch_count", "sendback_count", "rework_count",
                  "verified_count", "first_dispatch_correct", "on_time", "satisfaction", "reason", "deferred_reason",
                  "caller_name_masked", "caller_phone_masked", "lng", "lat")
        assert [getattr(written, f) for f in fields] == [getattr(acted, f) for f in fields], story.key
        assert written.number[:10] == acted.number[:10]
        assert _tasks(written) == _tasks(acted), story.key
        assert _events(written) == _events(acted), story.key
        for name in ("status", "stage_key", "department", "organisation_id", "region_id", "paused_days", "outcome",
                     "finished_at", "started_at"):
            assert getattr(written.workflow, name) == getattr(acted.workflow, name), (story.key, name)
        assert (DispatchCorrection.objects.filter(case=written).count()
                == DispatchCorrection.objects.filter(case=acted).count()), story.key


def _tasks(case) -> list:
    return list(WorkflowTask.objects.filter(instance=case.workflow).order_by("opened_at", "id")
                .values_list("stage_key", "step_key", "role", "region_id", "organisation_id", "status", "outcome",
                             "opened_at", "completed_at", "due_at", "yellow_at", "paused_days", "completed_by_id",
                             "version"))


def _events(case) -> list:
    return list(case.events.order_by("at", "id").values_list("kind", "at", "public", "actor_id", "actor_label"))
