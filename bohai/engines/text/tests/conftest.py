import random

import pytest

from bohai.engines.text import corpus, train


@pytest.fixture(scope="session")
def appeals():
    return corpus.load_appeals()


@pytest.fixture(scope="session")
def small_model(appeals):
    """Trained on 30 train texts of every class (about a quarter of the train split): quick."""
    rng = random.Random(7)
    by_class: dict[str, list] = {}
    for appeal in corpus.split(appeals, "train"):
        by_class.setdefault(appeal.class_code, []).append(appeal)
    chosen = [a for code in sorted(by_class) for a in rng.sample(by_class[code], 30)]
    return train([a.text for a in chosen], [a.class_code for a in chosen])
