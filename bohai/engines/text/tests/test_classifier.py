import math
import random

import numpy as np
import pytest

from bohai.engines.text import Suggestion, corpus, load, train
from bohai.engines.text.evaluation import evaluate

CLEAR = {
    "运河区解放西路有个井盖丢了，晚上太危险了": "manhole_cover",
    "我们小区暖气一点都不热，屋里才十二度": "heating",
    "老板拖欠我三个月工资不给，找了好几次": "unpaid_wages",
    "楼下烧烤店油烟直排，家里不敢开窗": "cooking_fumes",
    "孩子明年上小学，划片到哪个学校": "education",
    "身份证丢了去哪补办": "household_registration",
}


def test_suggests_the_right_class_for_clear_texts(small_model):
    for text, expected in CLEAR.items():
        assert small_model.suggest(text)[0].label == expected, text


def test_k_suggestions_in_descending_confidence(small_model):
    for k in (1, 3, 5):
        suggestions = small_model.suggest("小区门口路灯不亮，晚上黑乎乎的", k=k)
        assert len(suggestions) == k
        assert all(isinstance(s, Suggestion) for s in suggestions)
        confidences = [s.confidence for s in suggestions]
        assert confidences == sorted(confidences, reverse=True)
        assert all(0 <= c <= 1 for c in confidences) and sum(confidences) <= 1 + 1e-9
        assert len({s.label for s in suggestions}) == k
    assert len(small_model.suggest("停水了", k=100)) == len(small_model.labels)


def test_probabilities_sum_to_one(small_model):
    probabilities = small_model.probabilities(["停电了", "井盖丢了", "物业不管事"])
    assert probabilities.shape == (3, len(small_model.labels))
    assert np.allclose(probabilities.sum(axis=1), 1.0)


def test_suggest_many_equals_suggest(small_model):
    texts = list(CLEAR) + ["", "？？？"]
    many = small_model.suggest_many(texts, k=3)
    assert many == [small_model.suggest(text, k=3) for text in texts]
    assert small_model.suggest_many([]) == []


def test_save_and_load_give_identical_suggestions(small_model, appeals, tmp_path):
    texts = [a.text for a in corpus.split(appeals, "test")[:200]]
    path = small_model.save(tmp_path / "models" / "appeals.joblib")
    loaded = load(path)
    assert loaded.labels == small_model.labels and loaded.info == small_model.info
    assert loaded.suggest_many(texts, k=3) == small_model.suggest_many(texts, k=3)


def test_load_refuses_other_files(tmp_path):
    import joblib

    joblib.dump({"something": "else"}, tmp_path / "other.joblib")
    with pytest.raises(ValueError):
        load(tmp_path / "other.joblib")


def test_sanity_floor_on_held_out_sample(small_model, appeals):
    """Not an accuracy goal (that is the benchmark's): only proof the pipeline is not broken."""
    sample = random.Random(3).sample(corpus.split(appeals, "test"), 300)
    report = evaluate(small_model, [a.text for a in sample], [a.class_code for a in sample])
    assert report.top1 > 0.5 and report.topk > report.top1


def test_needs_two_classes_and_matching_lengths():
    with pytest.raises(ValueError):
        train(["停水了", "又停水了"], ["water_supply", "water_supply"])
    with pytest.raises(ValueError):
        train(["停水了"], ["water_supply", "power_supply"])


def test_two_classes_and_single_texts_of_a_class():
    texts = ["停水了好几天", "自来水发黄", "水压太低了", "小区停水没通知", "家里没水了", "停电了", "又断电了"]
    labels = ["water_supply"] * 5 + ["power_supply"] * 2
    model = train(texts, labels)
    assert set(model.labels) == {"water_supply", "power_supply"}
    suggestions = model.suggest("停水了怎么办", k=2)
    assert suggestions[0].label == "water_supply"
    assert math.isclose(sum(s.confidence for s in suggestions), 1.0)


def test_word_features(appeals):
    chosen = [a for a in corpus.split(appeals, "train") if a.class_code in ("heating", "gas", "dogs")][:150]
    model = train([a.text for a in chosen], [a.class_code for a in chosen], features="words")
    assert model.info["features"] == "words"
    assert model.suggest("流浪狗太多了晚上追人")[0].label == "dogs"
    with pytest.raises(ValueError):
        train(["a", "b"], ["x", "y"], features="bytes")


def test_tf_idf_rows_are_those_of_scikit_learn(small_model, appeals):
    texts = [a.text for a in corpus.split(appeals, "test")[:300]] + ["", "！！！", "ＡＢＣ　全角 与 emoji 🙂", "ζζζ"]
    ours = small_model.rows(texts)
    theirs = small_model.vectorizer.transform(texts)
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
    assert np.allclose(ours.toarray(), theirs.toarray(), atol=1e-6)
    assert ours[texts.index("ζζζ")].nnz == 0  # nothing known: an empty row, not a division by zero


def test_a_feature_union_keeps_scikit_learns_transform(appeals):
    chosen = [a for a in corpus.split(appeals, "train") if a.class_code in ("heating", "gas", "dogs")][:150]
    model = train([a.text for a in chosen], [a.class_code for a in chosen], features="words+chars")
    assert model.rows is None
    assert model.suggest("暖气不热，屋里太冷")[0].label == "heating"
