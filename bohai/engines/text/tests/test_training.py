import csv
import json

from bohai.engines.text import corpus, load, retrain, train_from_corpus
from bohai.engines.text import evaluate as evaluate_script
from bohai.engines.text.setup import train_default_model


def small_corpus(appeals, tmp_path, per_class=25):
    """A CSV in the corpus' format with a few texts of each class, for quick (re)training."""
    rows, taken = [], {}
    for appeal in appeals:
        key = (appeal.class_code, appeal.split)
        if taken.get(key, 0) < (per_class if appeal.split == "train" else 5):
            taken[key] = taken.get(key, 0) + 1
            rows.append(appeal)
    path = tmp_path / "appeals.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "text", "class_code", "split", "scenario"])
        writer.writerows([a.id, a.text, a.class_code, a.split, a.scenario] for a in rows)
    return path


def test_train_from_corpus_uses_the_train_split_only(appeals, tmp_path):
    path = small_corpus(appeals, tmp_path)
    model = train_from_corpus(path)
    assert model.info["texts"] == 25 * len(corpus.load_classes())


def test_retrain_with_corrections_changes_a_wrong_answer(appeals, tmp_path):
    path = small_corpus(appeals, tmp_path)
    model = train_from_corpus(path)
    text = "小区门口晚上黑灯瞎火的，是不是停电了"
    wrong = model.suggest(text)[0].label
    corrected_to = "street_light" if wrong != "street_light" else "power_supply"
    retrained = retrain([(text, corrected_to)], path=path)
    assert retrained.suggest(text)[0].label == corrected_to


def test_the_last_correction_of_a_text_wins_and_new_classes_are_learnt(appeals, tmp_path):
    path = small_corpus(appeals, tmp_path)
    corrections = [("楼下剧本杀店半夜太吵", "noise_nuisance"), ("楼下剧本杀店半夜太吵", "entertainment_venues"),
                   ("剧本杀店消防通道堵了", "entertainment_venues")]
    model = retrain(corrections, path=path)
    assert "entertainment_venues" in model.labels
    assert model.suggest("楼下剧本杀店半夜太吵")[0].label == "entertainment_venues"


def test_train_default_model_and_the_evaluate_script(tmp_path, capsys):
    figures = train_default_model(tmp_path / "models")
    assert (tmp_path / "models" / "appeals.joblib").exists()
    assert figures["classes"] == len(corpus.load_classes())
    assert figures["train_texts"] == len(corpus.split(corpus.load_appeals(), "train"))
    assert 0.5 < figures["top1"] <= figures["top3"] <= 1
    report = json.loads((tmp_path / "models" / "appeals-report.json").read_text(encoding="utf-8"))
    assert report["top1"] == figures["top1"]

    assert evaluate_script.main(["--model", figures["path"]]) == 0
    printed = capsys.readouterr().out
    assert "top-3" in printed and "most-confused pairs" in printed and "lowest first" in printed
    assert load(figures["path"]).labels == tuple(sorted(c.code for c in corpus.load_classes()))
