"""The shipped corpus is what its README says: big enough, consistent, and honestly split."""
from collections import Counter

from bohai.engines.text import corpus
from bohai.engines.text.corpus import build
from bohai.kernel.organisations.reference import department_specs


def test_size_and_classes(appeals):
    classes = corpus.load_classes()
    assert len(appeals) >= 3000
    assert len(classes) >= 30
    assert {c.group for c in classes} == {"city_management", "hotline"}
    assert len({c.code for c in classes}) == len(classes)
    assert {a.class_code for a in appeals} == {c.code for c in classes}


def test_every_class_in_both_splits_about_a_fifth_test(appeals):
    counts = Counter((a.class_code, a.split) for a in appeals)
    assert {a.split for a in appeals} == {"train", "test"}
    for code in {a.class_code for a in appeals}:
        train, test = counts[code, "train"], counts[code, "test"]
        assert train >= 40 and test >= 10, code
        assert 0.15 <= test / (train + test) <= 0.25, code


def test_no_duplicates_and_no_test_text_in_train(appeals):
    keys = [build.dedup_key(a.text) for a in appeals]
    assert len(set(keys)) == len(keys)
    assert len({a.text for a in appeals}) == len(appeals)
    train = {build.dedup_key(a.text) for a in corpus.split(appeals, "train")}
    assert not any(build.dedup_key(a.text) in train for a in corpus.split(appeals, "test"))
    assert len({a.id for a in appeals}) == len(appeals)


def test_departments_are_organisation_functions():
    functions = {spec.function for spec in department_specs()}
    for text_class in corpus.load_classes():
        assert text_class.default_department in functions, text_class.code
        assert text_class.name and text_class.description


def test_varied_lengths_and_unseen_scenarios(appeals):
    lengths = [len(a.text) for a in appeals]
    assert min(lengths) >= 8 and max(lengths) >= 200
    kinds = Counter(corpus.test_kinds(appeals))
    assert kinds["unseen scenario"] >= 0.3 * sum(kinds.values())
    assert kinds["vague"] > 0 and kinds["seen scenario"] > 0


def test_shipped_files_match_the_generator():
    rows, classes = build.build()
    assert build.APPEALS.read_text(encoding="utf-8") == build.appeals_csv(rows)
    assert build.CLASSES.read_text(encoding="utf-8") == build.classes_csv(classes)
