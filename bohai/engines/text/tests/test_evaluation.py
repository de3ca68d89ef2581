import pytest

from bohai.engines.text import Suggestion
from bohai.engines.text.evaluation import evaluate


class Scripted:
    """A stand-in model that answers what it is told."""

    def __init__(self, answers):
        self.answers = answers

    def suggest_many(self, texts, k=3, rules=()):
        return [[Suggestion(label, confidence) for label, confidence in self.answers[t]][:k] for t in texts]


def test_figures_of_a_scripted_model():
    answers = {
        "1": [("a", 0.9), ("b", 0.1)],  # right
        "2": [("b", 0.6), ("a", 0.4)],  # a taken for b, the truth second
        "3": [("b", 0.8), ("c", 0.2)],  # a taken for b, the truth not suggested
        "4": [("c", 0.7), ("b", 0.3)],  # b taken for c, the truth second
        "5": [("b", 0.95)],  # right
    }
    report = evaluate(Scripted(answers), list(answers), ["a", "a", "a", "b", "b"],
                      departments={"a": "water", "b": "water", "c": "health"}, groups=["x", "x", "y", "y", "y"])
    assert report.top1 == pytest.approx(2 / 5)
    assert report.topk == pytest.approx(4 / 5)
    assert [(p.true, p.predicted, p.count) for p in report.confused_pairs] == [("a", "b", 2), ("b", "c", 1)]
    assert report.per_class["a"].recall == pytest.approx(1 / 3) and report.per_class["a"].precision == 1.0
    assert report.per_class["b"].precision == pytest.approx(1 / 3) and report.per_class["b"].support == 2
    assert report.per_class["c"].support == 0
    assert report.department_top1 == pytest.approx(4 / 5)
    assert report.subsets["x"] == {"texts": 2, "top1": 0.5, "topk": 1.0}
    assert report.recall_lowest_first()[0][0] == "c"
    assert "most-confused" in report.format() and report.as_dict()["texts"] == 5
    assert report.thresholds[0].threshold == 0.5 and report.thresholds[0].coverage == 1.0
    assert report.thresholds[-1].coverage == pytest.approx(2 / 5) and report.thresholds[-1].accuracy == 1.0


def test_evaluate_needs_labels_for_every_text():
    with pytest.raises(ValueError):
        evaluate(Scripted({}), ["1"], [])
