import pytest

from bohai.engines.text import FORCE, KeywordRule
from bohai.engines.text.rules import apply_rules

import numpy as np

AMBIGUOUS = "晚上黑灯瞎火的，怎么回事"


def test_a_boost_adds_to_the_class_and_renormalises(small_model):
    before = dict(small_model.suggest(AMBIGUOUS, k=len(small_model.labels)))
    rule = KeywordRule("黑灯瞎火", "traffic_facility", 0.5)
    after = dict(small_model.suggest(AMBIGUOUS, k=len(small_model.labels), rules=[rule]))
    assert after["traffic_facility"] == pytest.approx((before["traffic_facility"] + 0.5) / 1.5)
    assert after["street_light"] == pytest.approx(before["street_light"] / 1.5)
    assert sum(after.values()) == pytest.approx(1.0)


def test_a_force_puts_the_class_first(small_model):
    text = "解放路井盖丢了，晚上太危险了"
    assert small_model.suggest(text)[0].label == "manhole_cover"
    forced = small_model.suggest(text, rules=[KeywordRule("解放路", "road_damage", FORCE)])
    assert forced[0].label == "road_damage" and forced[0].confidence >= 0.5
    assert [s.label for s in forced][1] == "manhole_cover"


def test_the_strongest_force_wins(small_model):
    rules = [KeywordRule("井盖", "road_damage", 1.0), KeywordRule("井盖", "street_light", 2.0)]
    assert small_model.suggest("井盖丢了", rules=rules)[0].label == "street_light"


def test_a_negative_weight_suppresses(small_model):
    text = "解放路井盖丢了，晚上太危险了"
    suggestions = small_model.suggest(text, rules=[KeywordRule("井盖", "manhole_cover", -1.0)])
    assert "manhole_cover" not in [s.label for s in suggestions]


def test_rules_that_do_not_match_change_nothing(small_model):
    text = "我们小区暖气一点都不热"
    assert small_model.suggest(text, rules=[KeywordRule("井盖", "manhole_cover", FORCE)]) == small_model.suggest(text)


def test_a_rule_may_name_a_class_the_model_does_not_know(small_model):
    suggestions = small_model.suggest("楼下新开的剧本杀店太吵", rules=[KeywordRule("剧本杀", "entertainment_venues", FORCE)])
    assert suggestions[0].label == "entertainment_venues"
    assert len(suggestions) == 3


def test_keywords_ignore_width_and_case_and_regexes_match(small_model):
    rule = KeywordRule("ｋｔｖ", "noise_nuisance", FORCE)
    assert rule.matches("楼下ktv半夜还在唱")
    regex = KeywordRule(r"\d+路(公交|车)", "public_transport", FORCE, regex=True)
    assert regex.matches("16路公交老不来") and not regex.matches("公交")
    assert small_model.suggest("１６路车老是甩站，司机态度差", rules=[regex])[0].label == "public_transport"
    with pytest.raises(ValueError):
        KeywordRule("  ", "noise_nuisance")


def test_apply_rules_on_a_matrix():
    probabilities = np.array([[0.7, 0.3], [1.0, 0.0]])
    labels, scores = apply_rules(["甲", "乙"], probabilities, ("a", "b"), [KeywordRule("乙", "b", FORCE)])
    assert labels == ("a", "b")
    assert scores[0].tolist() == [0.7, 0.3]  # no match: untouched
    assert scores[1, 1] > scores[1, 0] and scores[1].sum() == pytest.approx(1.0)  # a tie at 0.5 broken for the rule
