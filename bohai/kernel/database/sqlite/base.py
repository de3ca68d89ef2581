"""SQLite, with write transactions queued on a file lock instead of SQLite's sleeping busy handler.

Every transaction here begins IMMEDIATE (settings), so it takes SQLite's one write lock at once. A
connection that finds the lock taken waits in SQLite's busy handler, which sleeps between tries for
1, 2, 5 … up to 100 ms, not until the lock is free: under a steady stream of writes from two gunicorn
workers the lock lay idle while both slept, the cores were half used and the slowest answers waited
for a whole ladder of sleeps.

So before its BEGIN IMMEDIATE a connection takes its turn on an exclusive flock() of a file beside
the database (`<database>.writers`), and gives the turn back when the transaction ends. The kernel
wakes the next waiter the moment the turn is given back, and gives it back itself when a process
dies. Each connection opens the file on its own, so threads of one process queue as processes do.
A turn is taken only for a transaction: single statements in autocommit, readers (WAL lets them read
beside the writer) and programs that do not use this backend still meet SQLite's own lock and busy
handler, as before. The turn is waited for without a time limit; SQLite's write lock, which the
holder took with its BEGIN IMMEDIATE, would have kept every other writer out as long.
"""
import fcntl
import os

from django.db.backends.sqlite3 import base, creation

WRITERS_SUFFIX = ".writers"


def writers_file(database_name) -> str | None:
    """The lock file beside a database file; None for an in-memory database."""
    name = str(database_name)
    if name == ":memory:" or name.startswith("file:") or "mode=memory" in name:
        return None
    return name + WRITERS_SUFFIX


class DatabaseCreation(creation.DatabaseCreation):
    def _destroy_test_db(self, test_database_name, verbosity):
        super()._destroy_test_db(test_database_name, verbosity)
        path = writers_file(test_database_name)
        if path and os.path.exists(path):
            os.remove(path)


class DatabaseWrapper(base.DatabaseWrapper):
    creation_class = DatabaseCreation

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._writers_descriptor: int | None = None
        self._holds_write_turn = False

    def _start_transaction_under_autocommit(self):
        self._take_write_turn()
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._give_back_write_turn()
            raise

    def _commit(self):
        try:
            return super()._commit()
        finally:
            self._give_back_write_turn()

    def _rollback(self):
        try:
            return super()._rollback()
        finally:
            self._give_back_write_turn()

    def _close(self):
        try:
            return super()._close()
        finally:
            self._give_back_write_turn()
            if self._writers_descriptor is not None:
                os.close(self._writers_descriptor)
                self._writers_descriptor = None

    def _take_write_turn(self) -> None:
        path = writers_file(self.settings_dict["NAME"])
        if path is None or self._holds_write_turn:
            return
        if self._writers_descriptor is None:
            self._writers_descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        fcntl.flock(self._writers_descriptor, fcntl.LOCK_EX)
        self._holds_write_turn = True

    def _give_back_write_turn(self) -> None:
        if self._holds_write_turn:
            self._holds_write_turn = False
            fcntl.flock(self._writers_descriptor, fcntl.LOCK_UN)
