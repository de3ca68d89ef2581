"""Text analysis engine: Chinese appeal classification for dispatch (12345 hotline, 数字城管).

    from bohai.engines.text import train_from_corpus, load, KeywordRule

    model = train_from_corpus()                        # the shipped corpus' train split
    model.suggest("解放路井盖丢了", k=3)                  # [Suggestion(label, confidence), ...]
    model.suggest_many(texts, k=3, rules=[KeywordRule("井盖", "manhole_cover", 0.5)])
    model.save("var/models/appeals.joblib"); model = load("var/models/appeals.joblib")

Not a Django app: no models, no settings. The pieces: segmentation (jieba), classifier (the
model), rules (administrators' keyword rules), evaluation, corpus (the shipped labelled corpus and
its generator), training (train_from_corpus, retrain), setup (train_default_model).
The function evaluate lives in bohai.engines.text.evaluation; `python -m bohai.engines.text.evaluate`
prints the held-out report.
"""
from .classifier import Model, Suggestion, load, train
from .evaluation import EvaluationReport
from .rules import FORCE, KeywordRule
from .training import retrain, train_from_corpus

__all__ = ["FORCE", "EvaluationReport", "KeywordRule", "Model", "Suggestion", "load", "retrain", "train",
           "train_from_corpus"]
