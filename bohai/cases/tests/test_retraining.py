"""The daily retraining job: below 20 unused corrections nothing happens; at 20 the model is retrained with
every correction, installed by one rename (no temporary file left), reloaded by dispatch, the corrections
marked and one audit record written. The corrections teach the model a class it did not know."""
import itertools
import os
from datetime import timedelta

import pytest

from bohai.cases import dispatch
from bohai.cases.jobs import MINIMUM_CORRECTIONS, retrain_dispatch
from bohai.cases.models import Case, DispatchCorrection
from bohai.kernel.audit.models import AuditRecord
from bohai.kernel.jobs.registry import registry

from .conftest import at

PROBE = "共享单车乱停在盲道上"
PLACES = ("解放路", "永济路", "北京路", "上海路", "浮阳大道", "运河路", "御河路")
PROBLEMS = ("共享单车乱停乱放，把人行道堵死了", "好多共享单车倒在路边没人管", "共享单车堆在公交站门口，上下车都难")


@pytest.fixture
def model_dir(settings, tmp_path):
    """A model of our own under the test's directory, trained from the corpus (a few seconds)."""
    settings.VAR_DIR = tmp_path
    dispatch._loaded.clear()
    yield tmp_path / "models"
    dispatch._loaded.clear()


def _corrections(city, count: int, chosen: str = "shared_bikes") -> list[DispatchCorrection]:
    case = Case.objects.create(track="city", source="patrol", description=PROBE, region=city["cang"], county=city["cang"],
                               status="filed", reported_at=at("2026-11-02T09:00"))
    # The appeal itself (a dispatcher corrected it) and others like it.
    texts = [PROBE, *(f"{place}{problem}" for place, problem in itertools.product(PLACES, PROBLEMS))][:count]
    return [DispatchCorrection.objects.create(case=case, text=text, suggested="E0502", chosen=chosen) for text in texts]


def test_the_job_is_daily():
    definition = registry.get("cases.retrain_dispatch")
    assert definition.every == timedelta(days=1) and definition.function is retrain_dispatch


def test_too_few_corrections_change_nothing(city, model_dir):
    dispatch.current_model()
    before = (model_dir / dispatch.MODEL_FILE).stat().st_mtime_ns
    _corrections(city, MINIMUM_CORRECTIONS - 1)
    assert retrain_dispatch() == {"retrained": False, "pending": MINIMUM_CORRECTIONS - 1, "minimum": MINIMUM_CORRECTIONS}
    assert (model_dir / dispatch.MODEL_FILE).stat().st_mtime_ns == before
    assert not DispatchCorrection.objects.filter(used_in_training=True).exists()


def test_corrections_flip_the_suggestion(city, model_dir):
    assert dispatch.current_model().predict([PROBE]) == ["illegal_parking"]
    corrections = _corrections(city, MINIMUM_CORRECTIONS)
    old = (model_dir / dispatch.MODEL_FILE).stat().st_ino
    figures = retrain_dispatch()
    assert figures["retrained"] and figures["new_corrections"] == MINIMUM_CORRECTIONS
    assert figures["corrections"] == MINIMUM_CORRECTIONS and "shared_bikes" in dispatch.current_model().labels
    assert (model_dir / dispatch.MODEL_FILE).stat().st_ino != old             # a new file renamed into place
    assert sorted(os.listdir(model_dir)) == ["appeals-report.json", dispatch.MODEL_FILE]  # no temporary file left
    assert dispatch.current_model().predict([PROBE]) == ["shared_bikes"]     # reloaded: the class is learnt
    assert DispatchCorrection.objects.filter(pk__in=[c.pk for c in corrections], used_in_training=True).count() == 20
    audit = AuditRecord.objects.get(action="cases.dispatch.retrain")
    assert audit.actor_label == "system:cases.retrain"
    assert retrain_dispatch()["retrained"] is False                         # nothing new since
