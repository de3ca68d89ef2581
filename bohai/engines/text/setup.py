"""Set-up step: train the default model from the shipped corpus and save it.

    from bohai.engines.text.setup import train_default_model
    figures = train_default_model(settings.BASE_DIR / "var" / "models")
"""
import json
import time
from pathlib import Path

from . import corpus
from .classifier import load
from .evaluation import evaluate
from .training import train_from_corpus

MODEL_FILE = "appeals.joblib"
REPORT_FILE = "appeals-report.json"


def train_default_model(target_dir: str | Path) -> dict:
    """Train on the corpus' train split, measure on its test split, write `appeals.joblib` and
    `appeals-report.json` into target_dir, and return the figures (a few seconds on one core)."""
    target_dir = Path(target_dir)
    started = time.perf_counter()
    model = train_from_corpus()
    trained_seconds = time.perf_counter() - started
    path = model.save(target_dir / MODEL_FILE)
    appeals = corpus.load_appeals()
    test = corpus.split(appeals, "test")
    report = evaluate(load(path), [a.text for a in test], [a.class_code for a in test],
                      departments=corpus.departments(), groups=corpus.test_kinds(appeals))
    figures = {
        "path": str(path),
        "classes": len(model.labels),
        "train_texts": model.info["texts"],
        "test_texts": report.texts,
        "top1": round(report.top1, 4),
        "top3": round(report.topk, 4),
        "department_top1": round(report.department_top1, 4),
        "train_seconds": round(trained_seconds, 2),
        "model_bytes": path.stat().st_size,
        "features": model.info["features"],
    }
    (target_dir / REPORT_FILE).write_text(
        json.dumps({**figures, "report": report.as_dict()}, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return figures
