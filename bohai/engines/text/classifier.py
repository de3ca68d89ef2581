"""The appeal classifier: text → ranked class suggestions with probabilities.

Model (chosen by measurement, see data/README.md and docs/architecture.md): TF-IDF over
character 1–3-grams of the normalised text → a linear SVM (LinearSVC, one-vs-rest) → sigmoid
calibration per class fitted on 5-fold out-of-fold decision values (scikit-learn's
CalibratedClassifierCV with ensemble=False), normalised over the classes. The confidences are
probabilities: they sum to 1 over all classes, so the top k sum to at most 1, and the held-out
report checks that a confidence of 0.8 is right about 80 % of the time.

`features="words"` or `"words+chars"` use jieba words (segmentation.py) instead of or beside the
character n-grams; on the shipped corpus they were no more accurate and 3× slower, so characters
are the default.

Prediction does not go through scikit-learn's estimators: after fitting, the SVM's weights and
the calibrators' parameters are copied into arrays and `Model.probabilities` is one sparse
matrix product plus a sigmoid (0.4 ms for one text instead of 8 ms through CalibratedClassifierCV,
same numbers; `train` checks that they agree). The TF-IDF rows of a single vectorizer are built the
same way (`TfidfRows`): scikit-learn's transform spent two thirds of its time checking its input,
about 0.5 ms of every Open311 report.
"""
import hashlib
import warnings
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import NamedTuple

import numpy as np
from scipy import sparse
from scipy.special import expit

from . import segmentation

FORMAT = 1
FEATURES = ("chars", "words", "words+chars")
DEFAULT_C = 0.5
CALIBRATION_FOLDS = 5


class Suggestion(NamedTuple):
    label: str  # a class_code
    confidence: float  # probability in [0, 1]


def make_vectorizer(features: str = "chars"):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion

    chars = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), min_df=2, sublinear_tf=True,
                            preprocessor=segmentation.normalise, lowercase=False, dtype=np.float32)
    words = TfidfVectorizer(analyzer=segmentation.words, sublinear_tf=True, lowercase=False, dtype=np.float32)
    if features == "chars":
        return chars
    if features == "words":
        return words
    if features == "words+chars":
        return FeatureUnion([("words", words), ("chars", chars)])
    raise ValueError(f"features must be one of {FEATURES}, not {features!r}")


class TfidfRows:
    """The rows a fitted TfidfVectorizer's transform gives, computed as it does (counts of the analyser's
    terms in the vocabulary, 1 + log of each count, times the term's idf, rows scaled to unit length, all
    in the vectorizer's dtype) without its per-call input checks."""

    def __init__(self, vectorizer):
        self.analyse = vectorizer.build_analyzer()
        self.vocabulary = vectorizer.vocabulary_
        self.idf = vectorizer.idf_ if vectorizer.use_idf else None
        self.sublinear = vectorizer.sublinear_tf
        self.dtype = vectorizer.dtype
        self.width = len(self.vocabulary)

    @classmethod
    def of(cls, vectorizer) -> "TfidfRows | None":
        """For a plain TfidfVectorizer with l2 rows; None for anything else (a FeatureUnion keeps scikit-learn's)."""
        from sklearn.feature_extraction.text import TfidfVectorizer

        if type(vectorizer) is not TfidfVectorizer or vectorizer.norm != "l2" or vectorizer.binary:
            return None
        return cls(vectorizer)

    def __call__(self, texts: Sequence[str]) -> sparse.csr_matrix:
        columns, values, ends = [], [], [0]
        for text in texts:
            counts: dict[int, int] = {}
            for term in self.analyse(text):
                column = self.vocabulary.get(term)
                if column is not None:
                    counts[column] = counts.get(column, 0) + 1
            row = sorted(counts)
            columns += row
            values += [counts[column] for column in row]
            ends.append(len(columns))
        columns = np.asarray(columns, dtype=np.int32)
        data = np.asarray(values, dtype=self.dtype)
        if self.sublinear:
            np.log(data, out=data)
            data += 1
        if self.idf is not None:
            data *= self.idf[columns]
        ends = np.asarray(ends, dtype=np.int32)
        for start, end in zip(ends[:-1], ends[1:]):
            length = np.sqrt(np.dot(data[start:end], data[start:end]))
            if length > 0:
                data[start:end] /= length
        return sparse.csr_matrix((data, columns, ends), shape=(len(ends) - 1, self.width))


class Model:
    """A trained classifier. Immutable; safe to share between threads."""

    def __init__(self, vectorizer, weights: np.ndarray, intercepts: np.ndarray, slopes: np.ndarray,
                 offsets: np.ndarray, labels: Sequence[str], info: dict):
        self.vectorizer = vectorizer
        self.rows = TfidfRows.of(vectorizer)
        self.weights = weights  # (features, columns) float32; one column per class, or one for two classes
        self.intercepts = intercepts
        self.slopes = slopes  # sigmoid calibration: p = 1 / (1 + exp(slope * score + offset))
        self.offsets = offsets
        self.labels = tuple(labels)
        self.info = info

    def __repr__(self) -> str:
        return f"<Model {len(self.labels)} classes, {self.info.get('features')}, trained on {self.info.get('texts')} texts>"

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), len(labels)) class probabilities; each row sums to 1."""
        matrix = self.rows(texts) if self.rows is not None else self.vectorizer.transform(list(texts))
        scores = np.asarray(matrix @ self.weights, dtype=np.float64) + self.intercepts
        calibrated = expit(-(self.slopes * scores + self.offsets))
        if len(self.labels) == 2:
            return np.hstack([1.0 - calibrated, calibrated])
        totals = calibrated.sum(axis=1, keepdims=True)
        uniform = totals[:, 0] == 0
        calibrated[uniform] = 1.0
        totals[uniform] = len(self.labels)
        return calibrated / totals

    def suggest(self, text: str, k: int = 3, rules: Sequence = ()) -> list[Suggestion]:
        """The k most probable classes of one text, most probable first, after the keyword rules."""
        return self.suggest_many([text], k=k, rules=rules)[0]

    def suggest_many(self, texts: Sequence[str], k: int = 3, rules: Sequence = ()) -> list[list[Suggestion]]:
        """suggest() for many texts at once: one vectorisation and one matrix product for all."""
        texts = list(texts)
        if not texts:
            return []
        probabilities, labels = self.probabilities(texts), self.labels
        if rules:
            from .rules import apply_rules

            labels, probabilities = apply_rules(texts, probabilities, labels, rules)
        k = max(1, min(k, len(labels)))
        if k < len(labels):
            candidates = np.argpartition(-probabilities, k - 1, axis=1)[:, :k]
        else:
            candidates = np.tile(np.arange(len(labels)), (len(texts), 1))
        chosen = np.take_along_axis(probabilities, candidates, axis=1)
        order = np.argsort(-chosen, axis=1, kind="stable")
        top = np.take_along_axis(candidates, order, axis=1)
        values = np.take_along_axis(chosen, order, axis=1)
        return [[Suggestion(labels[j], float(p)) for j, p in zip(row, row_values)]
                for row, row_values in zip(top.tolist(), values.tolist())]

    def predict(self, texts: Sequence[str]) -> list[str]:
        """The most probable class of each text (no rules)."""
        return [self.labels[j] for j in self.probabilities(texts).argmax(axis=1)]

    def save(self, path: str | Path) -> Path:
        """Write the model to one file (joblib, compressed). The caller chooses where, e.g. var/models/."""
        import joblib

        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        state = {"format": FORMAT, "vectorizer": self.vectorizer, "weights": self.weights,
                 "intercepts": self.intercepts, "slopes": self.slopes, "offsets": self.offsets,
                 "labels": list(self.labels), "info": self.info}
        temporary = path.with_name(path.name + ".tmp")
        joblib.dump(state, temporary, compress=3)
        temporary.replace(path)
        return path


def load(path: str | Path) -> Model:
    """Read a model written by Model.save. Only load files you wrote: joblib files can run code."""
    import joblib
    import sklearn

    state = joblib.load(Path(path))
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise ValueError(f"{path} is not a text model of format {FORMAT}")
    trained_with = state["info"].get("sklearn")
    if trained_with and trained_with != sklearn.__version__:
        warnings.warn(f"{path} was trained with scikit-learn {trained_with}, running {sklearn.__version__}: "
                      "retrain it (bohai.engines.text.setup.train_default_model)", stacklevel=2)
    return Model(state["vectorizer"], state["weights"], state["intercepts"], state["slopes"], state["offsets"],
                 state["labels"], state["info"])


def train(texts: Sequence[str], labels: Sequence[str], *, sample_weight: Sequence[float] | None = None,
          features: str = "chars", C: float = DEFAULT_C) -> Model:
    """Fit a model. At least two classes; a class with fewer texts than the calibration folds is
    repeated up to that number (its weight divided accordingly), so a correction that introduces a
    new class can be learnt from a single text."""
    import sklearn
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.svm import LinearSVC

    texts, labels = list(texts), list(labels)
    if len(texts) != len(labels):
        raise ValueError("texts and labels differ in length")
    if len(set(labels)) < 2:
        raise ValueError("training needs at least two classes")
    weights = np.ones(len(texts)) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    texts, labels, weights = _fill_small_classes(texts, labels, weights, CALIBRATION_FOLDS)
    vectorizer = make_vectorizer(features)
    matrix = vectorizer.fit_transform(texts)
    for part in _vectorizers(vectorizer):
        part.stop_words_ = None  # terms dropped by min_df: only for introspection, and large when pickled
    calibrated = CalibratedClassifierCV(LinearSVC(C=C, random_state=0), method="sigmoid", cv=CALIBRATION_FOLDS,
                                        ensemble=False)
    calibrated.fit(matrix, labels, sample_weight=weights)
    fitted = calibrated.calibrated_classifiers_[0]
    svm = fitted.estimator
    model = Model(
        vectorizer=vectorizer,
        weights=np.ascontiguousarray(svm.coef_.T, dtype=np.float32),
        intercepts=np.asarray(svm.intercept_, dtype=np.float64),
        slopes=np.array([c.a_ for c in fitted.calibrators], dtype=np.float64),
        offsets=np.array([c.b_ for c in fitted.calibrators], dtype=np.float64),
        labels=[str(label) for label in calibrated.classes_],
        info={
            "features": features, "C": C, "texts": len(set(texts)), "classes": len(calibrated.classes_),
            "vocabulary": matrix.shape[1], "trained_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "sklearn": sklearn.__version__, "labels_digest": _digest(labels),
        },
    )
    _check_against_sklearn(model, calibrated, matrix[:50], texts[:50])
    return model


def _fill_small_classes(texts: list[str], labels: list[str], weights: np.ndarray, minimum: int):
    counts: dict[str, int] = {}
    for label in labels:
        counts[label] = counts.get(label, 0) + 1
    small = {label: count for label, count in counts.items() if count < minimum}
    if not small:
        return texts, labels, weights
    extra_texts, extra_labels, extra_weights = [], [], []
    weights = weights.copy()
    for i, label in enumerate(labels):
        if label in small:
            copies = -(-minimum // small[label])  # ceil: each text appears this many times in all
            weights[i] /= copies
            extra_texts += [texts[i]] * (copies - 1)
            extra_labels += [label] * (copies - 1)
            extra_weights += [weights[i]] * (copies - 1)
    return texts + extra_texts, labels + extra_labels, np.concatenate([weights, extra_weights])


def _vectorizers(vectorizer) -> Iterable:
    return [part for _, part in vectorizer.transformer_list] if hasattr(vectorizer, "transformer_list") else [vectorizer]


def _check_against_sklearn(model: Model, calibrated, matrix, texts: list[str]) -> None:
    """The array copy must give scikit-learn's own probabilities; a change in its internals fails here."""
    expected = calibrated.predict_proba(matrix)
    actual = model.probabilities(texts)
    if not np.allclose(expected, actual, atol=1e-4):
        raise RuntimeError("the compact model disagrees with CalibratedClassifierCV.predict_proba "
                           f"(max difference {np.abs(expected - actual).max():.2e}); scikit-learn internals changed?")


def _digest(labels: Sequence[str]) -> str:
    return hashlib.sha256("\n".join(sorted(set(labels))).encode()).hexdigest()[:16]
