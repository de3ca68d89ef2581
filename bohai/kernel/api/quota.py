"""Requests per API key in fixed windows, counted on the key's own row.

The count rides in the transaction of the work it counts: `has_room` reads the key as
authentication loaded it (no query), and `charge` is one UPDATE of the key's row, sent inside the
caller's transaction (on PostgreSQL with its COMMIT). A counter in the platform's cache cost every
Open311 report a write transaction of its own (four statements and a commit; on SQLite a second
turn at the write lock): without it reports went from 234 to 306 a second on SQLite and from 160 to
186 on PostgreSQL (benchmarks/bench_open311.py, same hour).

A window's edge lets a key send up to twice its rate within one period, and requests in flight
at once may each find the last free place: both the price of a counter this small.
"""
import time

from django.db import connection

from .models import ApiKey
from .throttling import AddressRateThrottle

_CHARGE = ("UPDATE {table} SET window_used = CASE WHEN window_number = %s THEN window_used + 1 ELSE 1 END, "
           "window_number = %s WHERE id = %s")


class KeyQuota:
    clock = staticmethod(time.time)

    def __init__(self, rate: str):
        self.limit, self.seconds = AddressRateThrottle(rate).parse_rate(rate)

    def window(self) -> int:
        return int(self.clock() // self.seconds)

    def has_room(self, api_key: ApiKey) -> bool:
        return api_key.window_number != self.window() or api_key.window_used < self.limit

    def charge(self, api_key: ApiKey) -> None:
        """Count one request against the key, in the current transaction if there is one."""
        window = self.window()
        statement = _CHARGE.format(table=connection.ops.quote_name(ApiKey._meta.db_table))
        parameters = (window, window, api_key.pk)
        if connection.in_atomic_block and getattr(connection, "defers_statements", False):
            connection.defer(statement, parameters)
        else:
            with connection.cursor() as cursor:
                cursor.execute(statement, parameters)
        api_key.window_used = api_key.window_used + 1 if api_key.window_number == window else 1
        api_key.window_number = window
