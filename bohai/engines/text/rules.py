"""Keyword rules that administrators maintain, applied to the model's probabilities.

A rule `KeywordRule(pattern, class_code, weight)` matches a text when `pattern` occurs in it
(a plain keyword, compared after normalisation: full-width = half-width, case ignored), or,
with `regex=True`, when the regular expression (case-insensitive) is found in the normalised
text (so write its Latin letters and digits half-width). For each text, every matching rule
adds its weight to its class's probability; then the row is renormalised to sum to 1:

- 0 < weight < 1 boosts: the model's 0.30 with a matching 0.5 rule becomes (0.30 + 0.5) / 1.5 = 0.53,
  and every other class shrinks by the same factor 1.5;
- weight ≥ 1 (FORCE) forces: the class is put first whatever the model said (its confidence is then
  at least one half); of several forcing rules that match, the largest weight wins;
- weight < 0 suppresses: the class loses that much probability (not below 0).

A rule may name a class the model has never seen (an administrator adds a class before any
texts of it exist): it then appears with the rule's weight as its only score. Rules are applied
in `Model.suggest` / `suggest_many` after the model (`rules=[...]`); location rules (which
department is responsible where) are the caller's: filter the rules by the appeal's region
before passing them.
"""
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .segmentation import normalise

FORCE = 1.0


@dataclass(frozen=True)
class KeywordRule:
    pattern: str
    class_code: str
    weight: float = 0.5
    regex: bool = False
    _compiled: re.Pattern | None = field(default=None, init=False, repr=False, compare=False)
    _needle: str = field(default="", init=False, repr=False, compare=False)

    def __post_init__(self):
        if not self.pattern or not normalise(self.pattern):
            raise ValueError("a keyword rule needs a pattern")
        if self.regex:  # matched against the normalised text: write it with half-width characters
            object.__setattr__(self, "_compiled", re.compile(self.pattern, re.IGNORECASE))
        object.__setattr__(self, "_needle", normalise(self.pattern))

    @property
    def forces(self) -> bool:
        return self.weight >= FORCE

    def matches(self, normalised_text: str) -> bool:
        """Whether the rule matches a text already passed through segmentation.normalise."""
        if self._compiled is not None:
            return self._compiled.search(normalised_text) is not None
        return self._needle in normalised_text


def apply_rules(texts: Sequence[str], probabilities: np.ndarray, labels: Sequence[str],
                rules: Sequence[KeywordRule]) -> tuple[tuple[str, ...], np.ndarray]:
    """The labels (the model's, then classes only rules name) and the adjusted probabilities."""
    labels = list(labels)
    for rule in rules:
        if rule.class_code not in labels:
            labels.append(rule.class_code)
    scores = np.zeros((len(texts), len(labels)))
    scores[:, :probabilities.shape[1]] = probabilities
    column = {label: j for j, label in enumerate(labels)}
    normalised = [normalise(text) for text in texts]
    changed = np.zeros(len(texts), dtype=bool)
    forced = {}  # row -> (weight, column) of the strongest forcing rule
    for rule in rules:
        j = column[rule.class_code]
        for i, text in enumerate(normalised):
            if rule.matches(text):
                scores[i, j] += rule.weight
                changed[i] = True
                if rule.forces and (i not in forced or rule.weight > forced[i][0]):
                    forced[i] = (rule.weight, j)
    np.clip(scores, 0.0, None, out=scores)
    rows = np.flatnonzero(changed)
    totals = scores[rows].sum(axis=1, keepdims=True)
    totals[totals == 0] = 1.0
    scores[rows] /= totals
    for i, (_, j) in forced.items():
        others = np.delete(scores[i], j)
        if others.size and scores[i, j] <= others.max():
            # Only in a tie (a model certain of another class): lift the forced class just above it.
            scores[i, j] = others.max() + 1e-9
            scores[i] /= scores[i].sum()
    return tuple(labels), scores
