"""Training on the shipped corpus, and retraining with dispatchers' corrections."""
from collections.abc import Iterable
from pathlib import Path

from . import corpus
from .classifier import Model, train
from .segmentation import normalise

CORRECTION_WEIGHT = 3.0


def train_from_corpus(path: str | Path | None = None, **options) -> Model:
    """A model trained on the train split of the shipped corpus (or of the CSV at `path`) only;
    the test split stays unseen. `options` go to classifier.train (features, C)."""
    appeals = corpus.split(corpus.load_appeals(path), "train")
    return train([a.text for a in appeals], [a.class_code for a in appeals], **options)


def retrain(extra_examples: Iterable[tuple[str, str]], *, path: str | Path | None = None,
            correction_weight: float = CORRECTION_WEIGHT, **options) -> Model:
    """The train split plus corrections: (text, class_code) pairs from dispatchers, for example
    every appeal whose class a dispatcher changed. A correction counts `correction_weight` times
    as much as a corpus text; when the same text (after normalisation) was corrected more than
    once the last correction wins, and it replaces a corpus text with the same words. A class
    code the corpus does not have becomes a new class. The cases system calls this from a job
    and saves the model it returns."""
    corrections: dict[str, tuple[str, str]] = {}
    for text, class_code in extra_examples:
        if text and text.strip() and class_code:
            corrections[normalise(text)] = (text, class_code)
    appeals = [a for a in corpus.split(corpus.load_appeals(path), "train") if normalise(a.text) not in corrections]
    texts = [a.text for a in appeals] + [text for text, _ in corrections.values()]
    labels = [a.class_code for a in appeals] + [code for _, code in corrections.values()]
    weights = [1.0] * len(appeals) + [correction_weight] * len(corrections)
    return train(texts, labels, sample_weight=weights, **options)
