"""From a sensor to a case: a manhole cover tilts, the rule raises one alarm, the alarm's event opens one
数字城管 case at the cover's place, urgent, from the sensor source."""
import pytest

from bohai.cases.actions import load_reference_classes
from bohai.cases.models import Case, Source, Urgency
from bohai.engines.alarms.actions import create_rule
from bohai.engines.alarms.models import Alarm
from bohai.iot.ingestion import IncomingReading, ingest
from bohai.kernel.events.outbox import deliver_pending

from .conftest import TOWNSHIP

pytestmark = pytest.mark.django_db


def test_a_tilted_manhole_cover_becomes_one_urgent_case(iot_city, make_device):
    load_reference_classes(actor="test")
    cover, _secret = make_device("manhole_cover", code="CX-MH-0001", at=TOWNSHIP)
    create_rule(actor="test", name="井盖倾斜", subject_kind="iot.device", kind="above", subject_type="manhole_cover",
                metric="tilt", threshold=15, severity="critical", region=iot_city["city"])
    ingest([IncomingReading(cover.code, "tilt", "2026-11-30T09:00:00+08:00", 35)], channel="test")
    ingest([IncomingReading(cover.code, "tilt", "2026-11-30T09:01:00+08:00", 36)], channel="test")
    deliver_pending()
    deliver_pending()  # delivery is at least once: a second pass adds nothing
    alarm = Alarm.objects.get()
    case = Case.objects.get()
    assert case.external_token == f"alarm:{alarm.pk}"
    assert (case.source, case.urgency, case.case_class.code) == (Source.SENSOR, Urgency.URGENT, "P0101")
    assert case.region.path.startswith(iot_city["township"].path)
    assert "倾角" in case.description and cover.name in case.description
