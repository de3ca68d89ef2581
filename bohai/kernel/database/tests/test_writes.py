"""insert() writes the same row as Model.save(), on both databases."""
from datetime import timedelta

import pytest
from django.db import connection, models, transaction
from django.utils import timezone

from bohai.engines.workflows.models import WorkflowTask
from bohai.kernel.database.writes import insert, insert_unread, update_unread
from bohai.kernel.events.models import OutboxEvent

pytestmark = pytest.mark.django_db


def row(model, pk) -> dict:
    return model.objects.filter(pk=pk).values().get()


def without_key(values: dict) -> dict:
    """The row without its id and the moment it was written."""
    return {name: value for name, value in values.items() if name not in ("id", "created_at", "updated_at")}


def test_the_row_is_the_one_save_writes_defaults_and_json_included():
    moment = timezone.now()
    by_save = OutboxEvent(name="test.happened", payload={"case_id": 7, "文字": "中文", "list": [1, 2]},
                          available_at=moment)
    by_save.save()
    by_insert = insert(OutboxEvent(name="test.happened", payload={"case_id": 7, "文字": "中文", "list": [1, 2]},
                                   available_at=moment))
    assert by_insert.pk is not None and by_insert.pk != by_save.pk
    assert not by_insert._state.adding and by_insert._state.db == "default"
    assert without_key(row(OutboxEvent, by_insert.pk)) == without_key(row(OutboxEvent, by_save.pk))


def test_auto_now_fields_are_filled_as_save_fills_them(cangzhou):
    from bohai.engines.workflows.models import WorkflowInstance

    before = timezone.now()
    instance = WorkflowInstance.objects.create(subject_type_id=1, subject_id=1, declaration={}, stage_key="s",
                                               region=cangzhou["city"], department="d", started_at=before)
    task = insert(WorkflowTask(instance=instance, stage_key="s", step_key="t", name="受理", role="r",
                               region=cangzhou["city"], opened_at=before, due_at=before + timedelta(days=1)))
    stored = WorkflowTask.objects.get(pk=task.pk)
    assert stored.created_at >= before and stored.updated_at >= before
    assert stored.created_at == task.created_at  # set on the instance too, as save() does
    assert stored.instance_id == instance.pk and stored.status == "open" and stored.version == 0


def test_a_wide_model_with_foreign_keys_json_and_floats(cangzhou):
    from bohai.cases.models import Case

    def case():
        return Case(track="city", source="portal", description="井盖丢了", region=cangzhou["township"],
                    county=cangzhou["cang"], lng=116.8512345, lat=38.3012345, status="reported", urgency="urgent",
                    caller_name_masked="王*", suggestion={"top": [{"label": "manhole_cover", "confidence": 0.91}]},
                    reported_at=timezone.now().replace(microsecond=123456), first_dispatch_correct=None)

    saved, inserted = case(), case()
    saved.save()
    insert(inserted)
    ignore = {"id", "created_at", "updated_at"}
    assert ({k: v for k, v in row(Case, inserted.pk).items() if k not in ignore}
            == {k: v for k, v in row(Case, saved.pk).items() if k not in ignore})


def test_a_given_key_is_written_as_given():
    event = insert(OutboxEvent(id=987654, name="test.keyed", payload={}, available_at=timezone.now()))
    assert event.pk == 987654 and OutboxEvent.objects.filter(pk=987654).exists()


def test_an_unsaved_related_object_is_refused_as_save_refuses_it(cangzhou):
    from bohai.engines.workflows.models import WorkflowInstance

    unsaved = WorkflowInstance(subject_type_id=1, subject_id=1, declaration={}, stage_key="s",
                               region=cangzhou["city"], department="d", started_at=timezone.now())
    with pytest.raises(ValueError, match="unsaved related object"):
        insert(WorkflowTask(instance=unsaved, stage_key="s", step_key="t", name="受理", role="r",
                            region=cangzhou["city"], opened_at=timezone.now()))


def test_expressions_are_refused():
    with pytest.raises(ValueError, match="expression"):
        insert(OutboxEvent(name="test.expr", payload={}, available_at=models.functions.Now()))


def test_the_row_rolls_back_with_its_transaction():
    with pytest.raises(RuntimeError), transaction.atomic():
        event = insert(OutboxEvent(name="test.rolled", payload={}, available_at=timezone.now()))
        raise RuntimeError("the action fails")
    assert not OutboxEvent.objects.filter(pk=event.pk).exists()
    assert connection.vendor in ("sqlite", "postgresql")


@pytest.mark.django_db(transaction=True)
def test_an_unread_row_is_written_with_its_transaction():
    with transaction.atomic():
        event = OutboxEvent(name="test.unread", payload={"n": 1}, available_at=timezone.now())
        insert_unread(event)
        if connection.vendor == "postgresql":  # waits for the COMMIT: no key yet
            assert event.pk is None and connection.connection.deferred_statements
        else:
            assert event.pk is not None
    stored = OutboxEvent.objects.get(name="test.unread")
    assert stored.payload == {"n": 1}
    with pytest.raises(RuntimeError), transaction.atomic():
        insert_unread(OutboxEvent(name="test.unread.lost", payload={}, available_at=timezone.now()))
        raise RuntimeError("the action fails")
    assert not OutboxEvent.objects.filter(name="test.unread.lost").exists()


@pytest.mark.django_db(transaction=True)
def test_an_unread_update_sets_the_columns_and_is_seen_by_what_follows():
    event = insert(OutboxEvent(name="test.before", payload={}, available_at=timezone.now()))
    with transaction.atomic():
        event.name, event.attempts = "test.after", 3
        update_unread(event, ("name", "attempts"))
        assert OutboxEvent.objects.filter(pk=event.pk, name="test.after", attempts=3).exists()  # sent before the read
    with pytest.raises(RuntimeError), transaction.atomic():
        event.name = "test.lost"
        update_unread(event, ("name",))
        raise RuntimeError("the action fails")
    assert OutboxEvent.objects.get(pk=event.pk).name == "test.after"
