"""Waking an idle worker when new work commits, instead of letting it sleep out its poll interval.

On PostgreSQL, NOTIFY issued inside a transaction is delivered only if and when that
transaction commits, which is exactly when the new job or event becomes visible; the
worker LISTENs while idle. Within one process a threading.Event does the same. SQLite has
no channel between processes, so workers there simply poll.
"""
import threading
import time

from django.db import connection, transaction

CHANNEL = "bohai_work"
_NOTIFY = "SELECT pg_notify(%s, '')"
# How often a worker waiting on PostgreSQL looks up to see whether it was asked to stop.
_STOP_CHECK_SECONDS = 1.0
_work_committed = threading.Event()


def announce_work() -> None:
    """Call inside the transaction that creates work (a job, an event)."""
    if connection.vendor == "postgresql":
        if connection.in_atomic_block and getattr(connection, "defers_statements", False):
            # Nobody reads its result: it goes to the server with the COMMIT, not in a round trip of its own.
            connection.defer(_NOTIFY, (CHANNEL,))
        else:
            with connection.cursor() as cursor:
                cursor.execute(_NOTIFY, [CHANNEL])
    transaction.on_commit(_work_committed.set)


def interrupt() -> None:
    """Cut a wait on this process's signal short (used when a worker is asked to stop)."""
    _work_committed.set()


def wait_for_work(timeout: float, stop: threading.Event) -> None:
    """Return when work is announced, `stop` is set, or `timeout` seconds have passed."""
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        _wait_for_notification(timeout, stop)
    else:
        _work_committed.wait(timeout)
    _work_committed.clear()


def _wait_for_notification(timeout: float, stop: threading.Event) -> None:
    connection.ensure_connection()
    raw = connection.connection
    # LISTEN on every wait: Django may have replaced the connection since the last one.
    raw.execute(f"LISTEN {CHANNEL}")
    deadline = time.monotonic() + timeout
    while not stop.is_set():
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return
        for _notification in raw.notifies(timeout=min(remaining, _STOP_CHECK_SECONDS), stop_after=1):
            return
