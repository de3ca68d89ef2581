"""Print the held-out report of a model trained on the shipped corpus' train split.

    python -m bohai.engines.text.evaluate                       # train now (a few seconds), then measure
    python -m bohai.engines.text.evaluate --model var/models/appeals.joblib
    python -m bohai.engines.text.evaluate --features words+chars --json

Top-1 and top-3 on the test split (also apart for texts of scenarios seen in training, of
scenarios held out of training, and vague texts), department accuracy, calibration, the 10
most-confused pairs and per-class recall lowest first.
"""
import argparse
import json
import math
import sys

from . import corpus
from .classifier import FEATURES, load
from .evaluation import evaluate
from .training import train_from_corpus


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", help="a saved model to measure instead of training one")
    parser.add_argument("--features", choices=FEATURES, default="chars")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    model = load(args.model) if args.model else train_from_corpus(features=args.features)
    appeals = corpus.load_appeals()
    test = corpus.split(appeals, "test")
    report = evaluate(model, [a.text for a in test], [a.class_code for a in test],
                      departments=corpus.departments(), groups=corpus.test_kinds(appeals))
    if args.json:
        print(json.dumps(report.as_dict(), ensure_ascii=False, indent=2,
                         default=lambda value: None if isinstance(value, float) and math.isnan(value) else value))
    else:
        print(f"model: {model!r}")
        print(report.format({c.code: c.name for c in corpus.load_classes()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
