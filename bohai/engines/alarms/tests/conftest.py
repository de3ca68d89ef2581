"""A fake subject source ("test.device") so the engine is tested without any system app."""
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone

import pytest

from bohai.engines.alarms import subjects
from bohai.engines.alarms.evaluation import Observation
from bohai.engines.alarms.ruleset import forget_rules
from bohai.testing.fixtures import organisation_in

KIND = "test.device"
T0 = datetime(2026, 11, 2, 1, 0, tzinfo=dt_timezone.utc)  # 09:00 in Cangzhou


class FakeDevices:
    """Subjects 1-99 belong to 沧县's water department, 100-199 to 青县's."""

    def __init__(self, cangzhou):
        self.cang_unit = organisation_in(cangzhou["cang"], "water")
        self.qing_unit = organisation_in(cangzhou["qing"], "water")
        self.regions = {"cang": cangzhou["cang"], "qing": cangzhou["qing"]}
        self.asked: list[list[int]] = []

    def describe(self, ids: list[int]) -> dict[int, subjects.Subject]:
        self.asked.append(list(ids))
        return {subject_id: self.subject(subject_id) for subject_id in ids if subject_id < 1000}

    def subject(self, subject_id: int) -> subjects.Subject:
        in_cang = subject_id < 100
        unit = self.cang_unit if in_cang else self.qing_unit
        region = self.regions["cang" if in_cang else "qing"]
        return subjects.Subject(label=f"测试井盖 {subject_id:04d}", organisation_id=unit.pk, region_id=region.pk,
                                lng=116.8 + subject_id / 1000, lat=38.3, link=f"/work/iot/devices/{subject_id}/")


@pytest.fixture(autouse=True)
def fresh_rule_cache():
    """The rules are cached per process (the last readings are forgotten by the suite-wide fixture)."""
    forget_rules()
    yield
    forget_rules()


@pytest.fixture
def devices(cangzhou):
    source = FakeDevices(cangzhou)
    subjects.register_subject_source(KIND, source.describe, event_prefix="iot")
    yield source
    subjects.unregister_subject_source(KIND)


def reading(subject_id: int, metric: str, value: float, minute: float = 0, subject_type: str = "manhole_cover"):
    return Observation(KIND, subject_id, subject_type, metric, T0 + timedelta(minutes=minute), float(value))
