"""Two ingestion workers breaching the same rule at the same moment still make one alarm."""
import threading

import pytest
from django.db import connection

from bohai.engines.alarms.actions import create_rule
from bohai.engines.alarms.evaluation import evaluate
from bohai.engines.alarms.models import Alarm
from bohai.kernel.events.models import OutboxEvent

from .conftest import KIND, reading


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_raise_one_alarm_and_count_every_reading(devices, cangzhou):
    create_rule(actor="test", name="井盖倾斜", subject_kind=KIND, subject_type="manhole_cover", metric="tilt",
                kind="above", threshold=15.0, region=cangzhou["city"])
    start = threading.Barrier(4)
    errors = []

    def worker(offset):
        try:
            start.wait()
            for round_number in range(5):
                evaluate([reading(7, "tilt", 20 + offset, minute=round_number * 10 + offset)])
        except Exception as error:  # reported below: a thread's exception would otherwise vanish
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(offset,)) for offset in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    alarm = Alarm.objects.get()
    assert alarm.reading_count == 20
    assert OutboxEvent.objects.filter(name="iot.alarm_raised").count() == 1
