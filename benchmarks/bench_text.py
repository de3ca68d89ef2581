"""Appeal classifier on one core: throughput, latency and held-out accuracy.

Trains the default model on the shipped corpus' train split (bohai/engines/text/data), then on
the held-out test split measures:

- throughput of `Model.suggest_many(texts, k=3)` over all test texts in one call, best of 10 passes
  (and the CPU time per pass), against the goal of 2,000 texts/s on one core;
- latency of a single `Model.suggest(text, k=3)`: p50 and p99 over 3,000 calls after a warm-up;
- top-1 and top-3 accuracy against 85 % and 95 %, apart for test texts of scenarios seen in
  training, of scenarios held out of training, and vague texts; department accuracy; the 10
  most-confused pairs.

    python benchmarks/bench_text.py
    python benchmarks/bench_text.py --compare      # also the alternatives: word features, words+chars,
                                                   # and grouped cross-validation on the train split

The process is pinned to one core and BLAS/OpenMP to one thread. Writes benchmarks/results/text.json.
"""
import os

for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[variable] = "1"  # before numpy is imported

import argparse  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402

GOAL_PER_SECOND = 2_000
GOAL_TOP1 = 0.85
GOAL_TOP3 = 0.95
PASSES = 10
LATENCY_CALLS = 3_000


def pin_to_one_core() -> int | None:
    if not hasattr(os, "sched_setaffinity"):
        return None
    core = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {core})
    return core


def throughput(model, texts: list[str]) -> dict:
    model.suggest_many(texts[:100], k=3)  # warm-up
    walls, cpus = [], []
    for _ in range(PASSES):
        wall, cpu = time.perf_counter(), time.process_time()
        model.suggest_many(texts, k=3)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return {
        "texts": len(texts), "passes": PASSES,
        "best_pass_per_second": len(texts) / min(walls),
        "median_pass_per_second": len(texts) / statistics.median(walls),
        "cpu_per_second": len(texts) / min(cpus),
        "cpu_share_of_wall": sum(cpus) / sum(walls),  # below ~0.95: another process took the core
    }


def latency(model, texts: list[str]) -> dict:
    for text in texts[:200]:
        model.suggest(text, k=3)
    seconds = []
    for i in range(LATENCY_CALLS):
        text = texts[i % len(texts)]
        started = time.perf_counter()
        model.suggest(text, k=3)
        seconds.append(time.perf_counter() - started)
    seconds.sort()
    return {"calls": LATENCY_CALLS, "p50_ms": harness.percentile(seconds, 0.50) * 1000,
            "p99_ms": harness.percentile(seconds, 0.99) * 1000, "mean_ms": statistics.mean(seconds) * 1000}


def held_out(model, appeals, corpus) -> "EvaluationReport":  # noqa: F821
    from bohai.engines.text.evaluation import evaluate

    test = corpus.split(appeals, "test")
    return evaluate(model, [a.text for a in test], [a.class_code for a in test],
                    departments=corpus.departments(), groups=corpus.test_kinds(appeals))


def grouped_cross_validation(appeals, corpus, features: str, folds: int = 5) -> dict:
    """Top-1/top-3 on the train split with whole scenarios (and each class's short forms and vague
    texts) held out per fold: the situations a fold is tested on were never seen in its training."""
    import numpy as np
    from sklearn.model_selection import GroupKFold

    from bohai.engines.text import train

    train_split = corpus.split(appeals, "train")
    texts = np.array([a.text for a in train_split], dtype=object)
    labels = np.array([a.class_code for a in train_split])
    groups = np.array([f"{a.class_code}/{a.scenario}" for a in train_split])
    top1, top3 = [], []
    for fit, check in GroupKFold(n_splits=folds).split(texts, labels, groups):
        model = train(list(texts[fit]), list(labels[fit]), features=features)
        suggestions = model.suggest_many(list(texts[check]), k=3)
        truth = labels[check]
        top1.append(np.mean([row[0].label == t for row, t in zip(suggestions, truth)]))
        top3.append(np.mean([any(s.label == t for s in row) for row, t in zip(suggestions, truth)]))
    return {"folds": folds, "top1": float(np.mean(top1)), "top1_std": float(np.std(top1)), "top3": float(np.mean(top3))}


def measure(features: str, appeals, corpus, with_cv: bool) -> dict:
    from bohai.engines.text import train_from_corpus

    started = time.process_time()
    model = train_from_corpus(features=features)
    train_cpu_seconds = time.process_time() - started
    texts = [a.text for a in corpus.split(appeals, "test")]
    report = held_out(model, appeals, corpus)
    result = {"features": features, "model": repr(model), "train_cpu_seconds": train_cpu_seconds,
              "throughput": throughput(model, texts), "latency": latency(model, texts), "report": report.as_dict()}
    if with_cv:
        result["grouped_cross_validation"] = grouped_cross_validation(appeals, corpus, features)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--compare", action="store_true",
                        help="also measure word and word+character features and grouped cross-validation")
    args = parser.parse_args()
    core = pin_to_one_core()
    from bohai.engines.text import corpus
    from bohai.engines.text.segmentation import tokenizer

    tokenizer()  # jieba's dictionary loads once per process; not part of any figure
    appeals = corpus.load_appeals()
    names = {c.code: c.name for c in corpus.load_classes()}
    chosen = measure("chars", appeals, corpus, with_cv=args.compare)
    alternatives = [measure(f, appeals, corpus, with_cv=True) for f in ("words", "words+chars")] if args.compare else []

    report, speed, delay = chosen["report"], chosen["throughput"], chosen["latency"]
    summary = [
        harness.figure("suggest_many throughput (best of 10 passes)", speed["best_pass_per_second"], "/s",
                       f">= {GOAL_PER_SECOND:,}", speed["best_pass_per_second"] / GOAL_PER_SECOND,
                       speed["best_pass_per_second"] >= GOAL_PER_SECOND),
        harness.figure("suggest_many throughput (CPU time)", speed["cpu_per_second"], "/s"),
        harness.figure("suggest latency p50", delay["p50_ms"], "ms"),
        harness.figure("suggest latency p99", delay["p99_ms"], "ms"),
        harness.figure("held-out top-1", report["top1"] * 100, "%", f">= {GOAL_TOP1:.0%}", report["top1"] / GOAL_TOP1,
                       report["top1"] >= GOAL_TOP1),
        harness.figure("held-out top-3", report["topk"] * 100, "%", f">= {GOAL_TOP3:.0%}", report["topk"] / GOAL_TOP3,
                       report["topk"] >= GOAL_TOP3),
    ]
    for group, figures in report["subsets"].items():
        summary.append(harness.figure(f"held-out top-1, {group} ({figures['texts']})", figures["top1"] * 100, "%"))
    summary.append(harness.figure("held-out department of first suggestion", report["department_top1"] * 100, "%"))
    if "grouped_cross_validation" in chosen:
        summary.append(harness.figure("grouped CV on train, top-1", chosen["grouped_cross_validation"]["top1"] * 100, "%"))

    print(f"model: {chosen['model']}, trained in {chosen['train_cpu_seconds']:.1f} s CPU; pinned to core {core}")
    harness.print_summary(summary)
    print("most-confused pairs (true -> first suggestion):")
    for pair in report["confused_pairs"]:
        print(f"  {pair['count']:>3}  {pair['true']} ({names.get(pair['true'], '?')}) -> "
              f"{pair['predicted']} ({names.get(pair['predicted'], '?')})")
    for other in alternatives:
        cv = other["grouped_cross_validation"]
        print(f"alternative {other['features']:<12} held-out top-1 {other['report']['top1']:.1%} top-3 "
              f"{other['report']['topk']:.1%}; grouped CV top-1 {cv['top1']:.1%} top-3 {cv['top3']:.1%}; "
              f"{other['throughput']['best_pass_per_second']:,.0f} texts/s; train {other['train_cpu_seconds']:.1f} s CPU")
    if "grouped_cross_validation" in chosen:
        cv = chosen["grouped_cross_validation"]
        print(f"chosen      {'chars':<12} grouped CV top-1 {cv['top1']:.1%} ± {cv['top1_std']:.1%}, top-3 {cv['top3']:.1%}")

    path = harness.write_results("text", "python benchmarks/bench_text.py " + " ".join(sys.argv[1:]), summary, {
        "pinned_core": core, "goals": {"per_second": GOAL_PER_SECOND, "top1": GOAL_TOP1, "top3": GOAL_TOP3},
        "chosen": chosen, "alternatives": alternatives,
    })
    print(f"Wrote {path.relative_to(harness.REPO_ROOT)}")


if __name__ == "__main__":
    main()
