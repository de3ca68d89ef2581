"""On PostgreSQL an audit record's INSERT goes to the server with the next statement (usually the COMMIT).

What must hold: the record is in the action's transaction (committed with it, rolled back with it, and a
record that cannot be written fails the action), and anything that runs after it in the transaction sees it.
"""
import pytest
from django.contrib.auth import get_user_model
from django.db import DatabaseError, connection, transaction

from bohai.kernel.audit.chain import seal_pending, verify_chain
from bohai.kernel.audit.models import AuditRecord
from bohai.kernel.audit.postgresql.base import DeferredStatements
from bohai.kernel.audit.recording import record

pytestmark = pytest.mark.django_db


@pytest.fixture
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: on SQLite there is no round trip to save, and records are inserted at once")


@pytest.fixture
def sends(monkeypatch):
    """What each message of deferred statements ended with ("" when it went before another statement)."""
    seen = []
    original = DeferredStatements.send

    def spy(self, raw_connection, then=""):
        seen.append((len(self.statements), then))
        return original(self, raw_connection, then)

    monkeypatch.setattr(DeferredStatements, "send", spy)
    return seen


def write(action: str, **values) -> None:
    record(actor="tester", action=action, target_type="test.thing", after=values or {"n": 1})


def actions() -> list[str]:
    return list(AuditRecord.objects.order_by("id").values_list("action", flat=True))


@pytest.mark.django_db(transaction=True)
def test_the_record_goes_to_the_server_with_the_commit(postgres_only, sends):
    with transaction.atomic():
        write("test.one")
    assert sends == [(1, "COMMIT")]
    assert actions() == ["test.one"]


def test_a_nested_action_sends_its_record_with_the_release_of_its_savepoint(postgres_only, sends):
    with transaction.atomic():  # the test's own transaction stays open around it
        write("test.nested")
    assert len(sends) == 1 and sends[0][1].startswith("RELEASE SAVEPOINT")
    assert actions() == ["test.nested"]


def test_a_statement_after_the_record_sees_it(postgres_only, sends):
    with transaction.atomic():
        write("test.seen")
        assert AuditRecord.objects.filter(action="test.seen").exists()
        assert sends == [(1, "")]
        # A named (server-side) cursor is declared after the record is sent, too.
        write("test.iterated")
        assert [r.action for r in AuditRecord.objects.order_by("id").iterator(chunk_size=10)] == ["test.seen", "test.iterated"]


def test_a_rolled_back_savepoint_takes_its_records_and_keeps_the_earlier_ones(postgres_only):
    with transaction.atomic():
        write("test.kept")
        with pytest.raises(RuntimeError), transaction.atomic():
            write("test.undone")
            raise RuntimeError("the inner action fails")
        write("test.after")
    assert actions() == ["test.kept", "test.after"]


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_transaction_leaves_no_record(postgres_only):
    with pytest.raises(RuntimeError), transaction.atomic():
        write("test.undone")
        raise RuntimeError("the action fails after its record")
    assert actions() == []
    with transaction.atomic():  # and the connection is clean for the next action
        write("test.next")
    assert actions() == ["test.next"]


@pytest.fixture
def refused_records():
    """A trigger that refuses records of the action test.refused, and a table for the action's own change."""
    table = AuditRecord._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE test_action_marks (mark text)")
        cursor.execute("CREATE FUNCTION test_refuse_record() RETURNS trigger LANGUAGE plpgsql AS $$ "
                       "BEGIN IF NEW.action = 'test.refused' THEN RAISE EXCEPTION 'refused'; END IF; RETURN NEW; END $$")
        cursor.execute(f"CREATE TRIGGER test_refuse BEFORE INSERT ON {table} "
                       "FOR EACH ROW EXECUTE FUNCTION test_refuse_record()")
    yield
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TRIGGER test_refuse ON {table}")
        cursor.execute("DROP FUNCTION test_refuse_record()")
        cursor.execute("DROP TABLE test_action_marks")


def change_then_write_a_refused_record() -> None:
    with pytest.raises(DatabaseError, match="refused"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO test_action_marks VALUES ('the action changed something')")
        write("test.refused")


def marks() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM test_action_marks")
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_a_record_the_database_refuses_fails_the_whole_action(postgres_only, refused_records):
    change_then_write_a_refused_record()
    assert marks() == 0 and actions() == []  # the change went with its record
    with transaction.atomic():
        write("test.accepted")
    assert actions() == ["test.accepted"]


def test_a_refused_record_fails_a_nested_action_and_the_outer_one_goes_on(postgres_only, refused_records):
    with transaction.atomic():
        write("test.before")
        change_then_write_a_refused_record()
        assert marks() == 0
        write("test.after")
    assert actions() == ["test.before", "test.after"]


@pytest.mark.django_db(transaction=True)
def test_a_long_run_of_records_goes_in_a_few_messages(postgres_only, sends):
    with transaction.atomic():
        for number in range(150):
            write("test.bulk", n=number)
    assert [count for count, _ in sends] == [64, 64, 22]
    assert sends[-1][1] == "COMMIT"
    kept = sorted(AuditRecord.objects.values_list("after", flat=True), key=lambda after: after["n"])
    assert kept == [{"n": n} for n in range(150)]


def test_queries_captured_in_tests_still_show_the_insert(postgres_only, django_assert_num_queries):
    with django_assert_num_queries(3) as captured:  # SAVEPOINT, the INSERT, RELEASE SAVEPOINT
        with transaction.atomic():
            write("test.counted")
    assert any(query["sql"].startswith("INSERT INTO") for query in captured.captured_queries)


def test_deleting_a_user_keeps_their_id_on_the_sealed_trail():
    user = get_user_model().objects.create_user("leaving", password=None, kind="staff")
    with transaction.atomic():
        record(actor=user, action="test.by_user", target_type="test.thing", after={"n": 1})
    seal_pending()
    user_id = user.pk
    user.delete()
    assert AuditRecord.objects.get(action="test.by_user").actor_id == user_id
    report = verify_chain()
    assert report.ok, report.problems
