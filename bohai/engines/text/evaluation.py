"""Measuring a model on labelled texts: top-1, top-k, per-class precision and recall, the
most-confused pairs, department accuracy and whether the confidences mean what they say."""
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np

THRESHOLDS = (0.5, 0.6, 0.7, 0.8, 0.9)


@dataclass(frozen=True)
class ClassFigures:
    precision: float
    recall: float
    f1: float
    support: int  # true texts of the class


@dataclass(frozen=True)
class ConfusedPair:
    true: str
    predicted: str
    count: int  # texts of `true` whose first suggestion was `predicted`


@dataclass(frozen=True)
class ThresholdFigures:
    threshold: float
    coverage: float  # share of texts whose first confidence is at least the threshold
    accuracy: float  # top-1 accuracy among those (nan when none)


@dataclass
class EvaluationReport:
    texts: int
    k: int
    top1: float
    topk: float
    per_class: dict[str, ClassFigures]
    confused_pairs: list[ConfusedPair]
    mean_confidence: float  # of the first suggestion
    calibration_error: float  # expected calibration error of the first suggestion, 10 bins
    thresholds: list[ThresholdFigures]
    department_top1: float | None = None  # first suggestion's department right (when departments given)
    subsets: dict[str, dict] = field(default_factory=dict)  # group → {texts, top1, topk}

    def as_dict(self) -> dict:
        return asdict(self)

    def recall_lowest_first(self) -> list[tuple[str, ClassFigures]]:
        return sorted(self.per_class.items(), key=lambda item: (item[1].recall, item[0]))

    def format(self, names: Mapping[str, str] | None = None) -> str:
        names = names or {}

        def name(code: str) -> str:
            return f"{code} ({names[code]})" if code in names else code

        lines = [f"{self.texts} texts: top-1 {self.top1:.1%}, top-{self.k} {self.topk:.1%}"]
        if self.department_top1 is not None:
            lines.append(f"department of the first suggestion right: {self.department_top1:.1%}")
        for group, figures in self.subsets.items():
            lines.append(f"  {group:<18} {figures['texts']:>5} texts: top-1 {figures['top1']:.1%}, "
                         f"top-{self.k} {figures['topk']:.1%}")
        lines.append(f"confidence of the first suggestion: mean {self.mean_confidence:.2f}, "
                     f"expected calibration error {self.calibration_error:.3f}")
        for row in self.thresholds:
            lines.append(f"  confidence >= {row.threshold:.1f}: {row.coverage:6.1%} of texts, top-1 {row.accuracy:.1%}")
        lines.append("most-confused pairs (true -> first suggestion: count):")
        for pair in self.confused_pairs:
            lines.append(f"  {pair.count:>3}  {name(pair.true)} -> {name(pair.predicted)}")
        lines.append("per-class recall, lowest first (precision, support):")
        for code, figures in self.recall_lowest_first():
            lines.append(f"  {figures.recall:6.1%}  {name(code):<34} precision {figures.precision:6.1%}  n={figures.support}")
        return "\n".join(lines)


def evaluate(model, texts: Sequence[str], labels: Sequence[str], *, k: int = 3, rules: Sequence = (),
             departments: Mapping[str, str] | None = None, groups: Sequence[str] | None = None,
             pairs: int = 10) -> EvaluationReport:
    """Score `model` on `texts` whose true classes are `labels`. `groups` (one name per text)
    adds the figures of each group; `departments` (class_code → department) adds how often the
    first suggestion's department is the true class's."""
    texts, labels = list(texts), list(labels)
    if not texts or len(texts) != len(labels):
        raise ValueError("evaluate needs as many labels as texts, and at least one")
    suggestions = model.suggest_many(texts, k=k, rules=rules)
    first = [row[0].label for row in suggestions]
    confidence = np.array([row[0].confidence for row in suggestions])
    hit1 = np.array([p == t for p, t in zip(first, labels)])
    hitk = np.array([any(s.label == t for s in row) for row, t in zip(suggestions, labels)])

    subsets = {}
    if groups is not None:
        groups = list(groups)
        for group in sorted(set(groups)):
            mask = np.array([g == group for g in groups])
            subsets[group] = {"texts": int(mask.sum()), "top1": float(hit1[mask].mean()), "topk": float(hitk[mask].mean())}

    department_top1 = None
    if departments is not None:
        department_top1 = float(np.mean([departments.get(p) is not None and departments.get(p) == departments.get(t)
                                         for p, t in zip(first, labels)]))

    return EvaluationReport(
        texts=len(texts), k=k, top1=float(hit1.mean()), topk=float(hitk.mean()),
        per_class=_per_class(labels, first), confused_pairs=_confused_pairs(labels, first, pairs),
        mean_confidence=float(confidence.mean()), calibration_error=_calibration_error(confidence, hit1),
        thresholds=[_threshold(confidence, hit1, t) for t in THRESHOLDS],
        department_top1=department_top1, subsets=subsets,
    )


def _per_class(labels: list[str], predicted: list[str]) -> dict[str, ClassFigures]:
    true_counts, predicted_counts = Counter(labels), Counter(predicted)
    correct = Counter(t for t, p in zip(labels, predicted) if t == p)
    figures = {}
    for code in sorted(set(labels) | set(predicted)):
        precision = correct[code] / predicted_counts[code] if predicted_counts[code] else 0.0
        recall = correct[code] / true_counts[code] if true_counts[code] else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        figures[code] = ClassFigures(precision, recall, f1, true_counts[code])
    return figures


def _confused_pairs(labels: list[str], predicted: list[str], limit: int) -> list[ConfusedPair]:
    """The largest off-diagonal cells of the confusion matrix (true, predicted), largest first."""
    cells = Counter((t, p) for t, p in zip(labels, predicted) if t != p)
    ranked = sorted(cells.items(), key=lambda item: (-item[1], item[0]))
    return [ConfusedPair(t, p, n) for (t, p), n in ranked[:limit]]


def _calibration_error(confidence: np.ndarray, correct: np.ndarray, bins: int = 10) -> float:
    edges = np.linspace(0.0, 1.0, bins + 1)
    index = np.clip(np.digitize(confidence, edges[1:-1]), 0, bins - 1)
    error = 0.0
    for b in range(bins):
        mask = index == b
        if mask.any():
            error += mask.mean() * abs(confidence[mask].mean() - correct[mask].mean())
    return float(error)


def _threshold(confidence: np.ndarray, correct: np.ndarray, threshold: float) -> ThresholdFigures:
    mask = confidence >= threshold
    accuracy = float(correct[mask].mean()) if mask.any() else float("nan")
    return ThresholdFigures(threshold, float(mask.mean()), accuracy)
