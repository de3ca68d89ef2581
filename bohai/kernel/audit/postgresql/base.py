"""PostgreSQL, sending an audit record in the same round trip as the statement after it.

An audited action ends with its audit record's INSERT and then COMMIT. On PostgreSQL each is a
round trip to the server, and the round trips, not the work, are most of what the audit cost: the
INSERT added about 40% to update_person. `record()` hands the INSERT to `defer()` instead, and it
goes to the server in one message with whatever statement the connection sends next: the COMMIT,
the RELEASE SAVEPOINT of a nested action, or any query. The order of statements is unchanged, so the
record is still written inside the action's transaction, before anything that could read it, and
an INSERT that fails fails the COMMIT with it. A rollback discards what has not been sent: it was
written after the last statement, inside what is being rolled back.

The joined text needs client-side parameter binding, Django's default for psycopg 3; with
`server_side_binding` on, nothing is deferred and records are inserted at once.
"""
import time

from django.db.backends.postgresql import base
from django.db.backends.utils import debug_transaction

# A long run of records with nothing between them (a bulk action) goes out in messages of this many.
_MOST_DEFERRED = 64


class DeferredStatements:
    """Statements whose results nobody reads, waiting for the next statement on one connection."""

    def __init__(self, log=None):
        self.statements: list[tuple[str, tuple]] = []
        self.log = log

    def __bool__(self) -> bool:
        return bool(self.statements)

    def discard(self) -> None:
        self.statements.clear()

    def send(self, raw_connection, then: str = "") -> None:
        """Send what is waiting (and `then`, a statement without parameters) in one message."""
        statements, self.statements = self.statements, []
        texts = [sql for sql, _ in statements] + ([then] if then else [])
        parameters = [value for _, values in statements for value in values]
        started = time.monotonic()
        with base.Cursor(raw_connection) as cursor:  # Django's plain cursor class: it defers nothing
            cursor.execute("; ".join(texts), parameters)
        if self.log is not None:
            self.log(statements, then, time.monotonic() - started)


class DeferringCursor(base.Cursor):
    """Django's cursor, sending the connection's deferred statements before its own."""

    def _send_deferred(self) -> None:
        deferred = self.connection.deferred_statements
        if deferred:
            deferred.send(self.connection)

    def execute(self, query, params=None, **options):
        self._send_deferred()
        return super().execute(query, params, **options)

    def executemany(self, query, params_seq, **options):
        self._send_deferred()
        return super().executemany(query, params_seq, **options)

    def copy(self, statement, params=None, **options):
        self._send_deferred()
        return super().copy(statement, params, **options)

    def stream(self, query, params=None, **options):
        self._send_deferred()
        return super().stream(query, params, **options)


class DatabaseWrapper(base.DatabaseWrapper):
    @property
    def defers_statements(self) -> bool:
        return self.settings_dict["OPTIONS"].get("server_side_binding") is not True

    def get_connection_params(self):
        params = super().get_connection_params()
        if self.defers_statements:
            params["cursor_factory"] = DeferringCursor
        return params

    def get_new_connection(self, conn_params):
        raw_connection = super().get_new_connection(conn_params)
        raw_connection.deferred_statements = DeferredStatements(log=self._log_deferred)
        return raw_connection

    def defer(self, sql: str, params: tuple) -> None:
        """Run `sql` with the next statement this connection sends; only inside a transaction.

        Callers ask `defers_statements` first, and run the statement themselves where it is false.
        """
        if not self.in_atomic_block:
            raise RuntimeError("a deferred statement must belong to a transaction")
        self.ensure_connection()
        deferred = self.connection.deferred_statements
        deferred.statements.append((sql, params))
        if len(deferred.statements) >= _MOST_DEFERRED:
            with self.wrap_database_errors:
                deferred.send(self.connection)

    def _deferred(self) -> DeferredStatements | None:
        if self.connection is None or not self.defers_statements:
            return None
        return self.connection.deferred_statements

    def _commit(self):
        deferred = self._deferred()
        if not deferred:
            return super()._commit()
        with debug_transaction(self, "COMMIT"), self.wrap_database_errors:
            deferred.send(self.connection, then="COMMIT")

    def _savepoint_commit(self, sid):
        deferred = self._deferred()
        if not deferred:
            return super()._savepoint_commit(sid)
        with self.wrap_database_errors:
            deferred.send(self.connection, then=self.ops.savepoint_commit_sql(sid))

    def _savepoint_rollback(self, sid):
        self._discard_deferred()
        return super()._savepoint_rollback(sid)

    def _rollback(self):
        self._discard_deferred()
        return super()._rollback()

    def _close(self):
        self._discard_deferred()
        return super()._close()

    def _discard_deferred(self) -> None:
        # Whatever waits was written after the last statement sent, so inside what is rolled back.
        deferred = self._deferred()
        if deferred is not None:
            deferred.discard()

    def create_cursor(self, name=None):
        deferred = self._deferred()
        if name and deferred:  # a named cursor is not a DeferringCursor: send before declaring it
            with self.wrap_database_errors:
                deferred.send(self.connection)
        return super().create_cursor(name)

    def _log_deferred(self, statements, then: str, duration: float) -> None:
        if not self.queries_logged:
            return
        texts = [sql % tuple(repr(value) for value in params) for sql, params in statements]
        if then and then != "COMMIT":  # debug_transaction logs the COMMIT
            texts.append(then)
        self.queries_log.extend({"sql": text, "time": "%.3f" % duration} for text in texts)
