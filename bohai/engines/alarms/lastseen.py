"""The last reading of each subject's metrics as this process saw it, in front of SubjectMetricState.

Rates of change and combinations compare a reading with the previous one; reading that from the
database for every batch would cost about as much as storing the points. So each process keeps the
last reading it evaluated (after its transaction commits) and asks the database only for keys it has
not seen. It also remembers when it last wrote a key, and writes a key's state at most once per
interval the evaluation asks for: 30 seconds where "no data" detection reads the states (that much
lag at worst), 10 minutes where they only stand in for this memory after a restart (a rate is then
taken over a longer interval once).

With several ingestion workers sharing a device's readings, a worker may compare with a reading
older than the newest one another worker stored: the rate is then taken over a longer interval.
"""
from collections.abc import Iterable
from datetime import datetime, timedelta

MAX_KEYS = 1_000_000  # past this the cache starts again empty (about 200 MB at most)

Key = tuple[str, int, str]


class LastReadings:
    def __init__(self):
        self.last: dict[Key, tuple[datetime, float]] = {}
        self.written: dict[Key, datetime] = {}

    def get(self, key: Key) -> tuple[datetime, float] | None:
        return self.last.get(key)

    def due_for_writing(self, key: Key, ts: datetime, interval: timedelta) -> bool:
        written = self.written.get(key)
        return written is None or ts - written >= interval

    def remember(self, seen: Iterable[tuple[Key, datetime, float]], written: Iterable[tuple[Key, datetime]]) -> None:
        if len(self.last) > MAX_KEYS:
            self.forget()
        last = self.last
        for key, ts, value in seen:
            known = last.get(key)
            if known is None or ts >= known[0]:
                last[key] = (ts, value)
        self.written.update(written)

    def forget(self) -> None:
        self.last.clear()
        self.written.clear()


last_readings = LastReadings()


def forget_last_readings() -> None:
    last_readings.forget()
