"""The cases system's periodic jobs.

cases.retrain_dispatch (daily): once dispatchers have corrected the model's first suggestion at least
MINIMUM_CORRECTIONS times since the last training, the text model is retrained on the corpus plus every
correction ever kept (the model is always rebuilt from the corpus, so earlier corrections must stay in;
the last correction of a text wins), written beside the running one and moved over it in one rename
(`os.replace`), so that a process loading it never reads half a file; `dispatch.current_model()` in every
process reloads it when the file changes. The corrections used are marked, with one audit record.
Training runs outside any transaction (a few seconds of CPU; on SQLite a transaction holds the write lock).

cases.refresh_rollup (every five minutes): counts the settled cases of the months whose cases changed since
their last count (or that were never counted) into the monthly rollup the dashboard reads
(bohai/cases/rollup.py); a month changed in between is counted from the rows, so the figures never lag.
"""
import os
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from bohai.kernel.audit.recording import record
from bohai.kernel.audit.service import service_action
from bohai.kernel.jobs.registry import job, periodic

from . import rollup
from .dispatch import model_path
from .models import DispatchCorrection

ACTOR = "system:cases.retrain"
ROLLUP_ACTOR = "system:cases.rollup"
MINIMUM_CORRECTIONS = 20


@periodic(every=timedelta(days=1))
@job("cases.retrain_dispatch", lease=timedelta(hours=1))
def retrain_dispatch() -> dict:
    return retrain_from_corrections(actor=ACTOR)


@periodic(every=timedelta(minutes=5))
@job("cases.refresh_rollup", lease=timedelta(minutes=30))
def refresh_rollup() -> dict:
    return rollup.refresh(actor=ROLLUP_ACTOR)


def retrain_from_corrections(*, actor, minimum: int = MINIMUM_CORRECTIONS) -> dict:
    """Retrain when at least `minimum` corrections are unused; returns what was done."""
    from bohai.engines.text import retrain

    pending = list(DispatchCorrection.objects.filter(used_in_training=False).values_list("pk", flat=True))
    if len(pending) < minimum:
        return {"retrained": False, "pending": len(pending), "minimum": minimum}
    examples = list(DispatchCorrection.objects.order_by("created_at", "id").values_list("text", "chosen"))
    started = time.perf_counter()
    model = retrain(examples)
    seconds = round(time.perf_counter() - started, 2)
    path = install_model(model, model_path())
    return mark_corrections_used(pending, actor=actor, examples=len(examples), classes=len(model.labels),
                                 seconds=seconds, path=path)


def install_model(model, path: Path) -> Path:
    """Write the model under a temporary name in the target directory, then rename it over the old one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".new", dir=path.parent)
    os.close(handle)
    try:
        model.save(temporary)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    return path


@service_action
def mark_corrections_used(pks: list[int], *, actor, examples: int, classes: int, seconds: float, path: Path) -> dict:
    marked = DispatchCorrection.objects.filter(pk__in=pks, used_in_training=False).update(used_in_training=True)
    figures = {"retrained": True, "new_corrections": marked, "corrections": examples, "classes": classes,
               "train_seconds": seconds, "model": path.name}
    record(actor=actor, action="cases.dispatch.retrain", target_type="cases.dispatchcorrection", after=figures)
    return figures
