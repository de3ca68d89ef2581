"""On SQLite, write transactions take turns on a file lock beside the database (bohai.kernel.database.sqlite).

What must hold: a transaction holds the turn from its BEGIN to its COMMIT or ROLLBACK and no longer; a
second writer waits for the turn and goes on when it is given back, without losing either's rows; a
process that dies holding the turn gives it back; an in-memory database has no lock file.
"""
import fcntl
import multiprocessing
import os
import threading

import pytest
from django.db import connection, connections, transaction

from bohai.kernel.audit.models import AuditRecord
from bohai.kernel.audit.recording import record
from bohai.kernel.database.sqlite.base import DatabaseCreation, writers_file

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def sqlite_only():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only: PostgreSQL locks rows, its writers do not queue for the whole database")


def turn_is_free() -> bool:
    """Whether another holder could take the turn now (tried without waiting, through a file of its own)."""
    descriptor = os.open(writers_file(connection.settings_dict["NAME"]), os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(descriptor)
    return True


def write(action: str) -> None:
    record(actor="tester", action=action, target_type="test.thing", after={"n": 1})


def actions() -> list[str]:
    return list(AuditRecord.objects.filter(action__startswith="test.").order_by("id").values_list("action", flat=True))


def test_a_transaction_holds_the_turn_until_it_commits(sqlite_only):
    assert turn_is_free()
    with transaction.atomic():
        write("test.one")
        assert not turn_is_free()
        with transaction.atomic():  # a savepoint keeps the outer transaction's turn
            write("test.nested")
        assert not turn_is_free()
    assert turn_is_free()
    assert actions() == ["test.one", "test.nested"]


def test_a_rollback_gives_the_turn_back(sqlite_only):
    with pytest.raises(RuntimeError), transaction.atomic():
        write("test.lost")
        raise RuntimeError("the action fails")
    assert turn_is_free()
    assert actions() == []


def test_a_closed_connection_gives_the_turn_back(sqlite_only):
    action = transaction.atomic()
    action.__enter__()
    write("test.unfinished")
    assert not turn_is_free()
    connection.close()  # the connection is lost in the middle of the action
    assert turn_is_free()
    action.__exit__(None, None, None)
    assert actions() == []


def test_a_second_writer_waits_for_the_turn_and_then_writes(sqlite_only):
    waiting, done = threading.Event(), threading.Event()
    failures = []

    def second_writer():
        try:
            waiting.set()
            with transaction.atomic():  # blocks on the turn until the main thread commits
                write("test.second")
            done.set()
        except Exception as error:  # reported to the main thread
            failures.append(error)
        finally:
            connections.close_all()

    with transaction.atomic():
        write("test.first")
        worker = threading.Thread(target=second_writer)
        worker.start()
        waiting.wait(5)
        assert not done.wait(0.3), "the second writer went ahead while the first held the turn"
    worker.join(30)
    assert not failures and done.is_set()
    assert actions() == ["test.first", "test.second"]
    assert turn_is_free()


def _hold_turn_and_die(database_name: str) -> None:
    descriptor = os.open(writers_file(database_name), os.O_RDWR | os.O_CREAT)
    fcntl.flock(descriptor, fcntl.LOCK_EX)
    os._exit(3)  # no clean-up: the kernel must give the turn back


def test_a_process_that_dies_holding_the_turn_gives_it_back(sqlite_only):
    child = multiprocessing.get_context("fork").Process(target=_hold_turn_and_die,
                                                          args=(connection.settings_dict["NAME"],))
    child.start()
    child.join(30)
    assert child.exitcode == 3
    assert turn_is_free()
    with transaction.atomic():
        write("test.after")
    assert actions() == ["test.after"]


def test_an_in_memory_database_has_no_lock_file():
    assert writers_file(":memory:") is None
    assert writers_file("file:memorydb_default?mode=memory&cache=shared") is None
    assert writers_file("/srv/bohai/var/bohai.sqlite3") == "/srv/bohai/var/bohai.sqlite3.writers"


def test_destroying_a_test_database_removes_its_lock_file(tmp_path, sqlite_only):
    database = tmp_path / "test_scratch.sqlite3"
    database.write_bytes(b"")
    lock = tmp_path / "test_scratch.sqlite3.writers"
    lock.write_bytes(b"")
    DatabaseCreation(connection)._destroy_test_db(str(database), verbosity=0)
    assert not database.exists() and not lock.exists()
