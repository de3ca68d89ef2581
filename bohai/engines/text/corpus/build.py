"""Build the labelled appeal corpus: data/appeals.csv, data/classes.csv and the counts in data/README.md.

    python -m bohai.engines.text.corpus.build            # writes the files (deterministic: same seed, same bytes)
    python -m bohai.engines.text.corpus.build --check    # rebuilds in memory and fails if the files differ

How a text is made: a class, then a form (short: a title or a text message; normal; long: a caller
who goes on talking), then the parts of that form: an opening, perhaps a self-introduction, one
of the class's scenarios, details, the history of earlier complaints, the impact, sometimes an
aside about a neighbouring class's problem (the label stays the primary topic), a demand.
Then the punctuation style and, for a share of texts, a pinyin typo. See material.py.

The split is fixed here, stratified by class: about 20 % of each class is test. Part of each
class's test share comes from scenarios held out of training altogether (a situation the model
never saw phrased), the rest from the same scenarios as training but never the same text:
texts are deduplicated on their characters without punctuation and spaces across the whole
corpus, so no test text appears in train.
"""
import argparse
import csv
import io
import random
import re
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from . import material as M
from .grammar import expand
from .material_city import CITY
from .material_hotline import HOTLINE

SEED = 130900
BASE_PER_CLASS = 128  # texts of a class of weight 1.0
TEST_SHARE = 0.20
NOVEL_SHARE_OF_TEST = 0.5  # of each class's test texts, the share drawn from held-out scenarios
HELD_OUT_SCENARIO_SHARE = 0.2  # of each class's scenarios, held out of training
VAGUE_SHARE = 0.06  # of each class that has vague material (material.AMBIGUOUS), train and test alike
FORMS = (("short", 0.16), ("normal", 0.50), ("long", 0.24), ("story", 0.10))
TYPO_SHARE = 0.12
MIN_LENGTH = 8

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
APPEALS = DATA_DIR / "appeals.csv"
CLASSES = DATA_DIR / "classes.csv"
README = DATA_DIR / "README.md"
COUNTS_START, COUNTS_END = "<!-- counts:start -->", "<!-- counts:end -->"

_STRIP = re.compile(r"[\s，。！？、：；,.!?:;“”\"'（）()【】\[\]…—-]+")


@dataclass(frozen=True)
class Row:
    text: str
    class_code: str
    split: str
    scenario: str


def all_classes() -> list[M.ClassMaterial]:
    return [*CITY, *HOTLINE]


def dedup_key(text: str) -> str:
    return _STRIP.sub("", text)


def pick_form(rng: random.Random) -> str:
    roll, total = rng.random(), 0.0
    for form, share in FORMS:
        total += share
        if roll < total:
            return form
    return FORMS[-1][0]


def end_clause(rng: random.Random) -> str:
    return rng.choices(["。", "，", "！", "…", ""], weights=[60, 22, 8, 4, 6])[0]


def compose(cls: M.ClassMaterial, scenario: str | None, form: str, rng: random.Random,
            by_code: dict[str, M.ClassMaterial], allowed: list[str]) -> str:
    """One appeal text; `allowed` are the class's scenarios this split may draw a second situation from."""
    # One text is about one place: every {place} and {compound} in it is the same.
    fixed = {"place": expand("{place}", rng), "compound": expand("{compound}", rng)}
    mentioned = []

    def fill(template: str) -> str:
        if "{place}" in template and mentioned:
            return expand(template, rng, {**fixed, "place": rng.choice(M.PLACE_AGAIN)})
        if "{place}" in template:
            mentioned.append(True)
        return expand(template, rng, fixed)

    if form == "short":
        template = rng.choice(cls.short)
        text = fill(template)
        if rng.random() < 0.3 and "{" not in template:
            text = fixed["place"] + rng.choice(["", "，", " ", "的"]) + text
        if rng.random() < 0.25:
            text = rng.choice(["您好，", "你好，", "【投诉】", "求助：", "喂，", "反映：", "[咨询]"]) + text
        text += rng.choice(["", "", "！", "。", "？", "!!", "，请处理"])
    elif is_patrol_report(scenario):
        # A grid worker's report: terse, no greeting, no complaint history.
        text = fill(scenario) + rng.choice(["。", "", "，请派遣。", "，请相关单位处置。", "，已拍照上传。"])
    else:
        long, story = form in ("long", "story"), form == "story"
        parts = [fill(rng.choice(M.OPENINGS))]
        if story or (long and rng.random() < 0.5):
            parts.append(fill(rng.choice(M.INTROS)))
        if story:
            parts.append(rng.choice(M.STORY_OPENERS))
        parts.append(fill(scenario) + end_clause(rng))
        if story:
            # A caller who talks at length describes a second situation of the same problem.
            parts.append(rng.choice(M.SECOND_LEADS) + fill(rng.choice([s for s in allowed if s != scenario and not is_patrol_report(s)])) + "。")
            parts.append(rng.choice(M.STORY_FILLERS))
        count = rng.choice([2, 3]) if story else rng.choice([1, 2]) if long else 1
        if long or rng.random() < 0.45:
            for detail in rng.sample(cls.details, k=min(len(cls.details), count)):
                parts.append(fill(detail) + end_clause(rng))
        if story or (long and rng.random() < 0.45):
            parts.append(fill(rng.choice(M.HISTORIES)) + rng.choice(M.HISTORY_ENDS) + end_clause(rng))
        if story and rng.random() < 0.5:
            parts.append(rng.choice([f for f in M.STORY_FILLERS if f not in parts]))
        if story or rng.random() < (0.5 if long else 0.15):
            parts.append(rng.choice(M.IMPACTS) + rng.choice(["。", "！", "，"]))
        if rng.random() < (0.3 if long else 0.08):
            parts.append(aside(cls, rng, by_code))
        if rng.random() < (0.85 if long else 0.6):
            parts.append(fill(rng.choice(M.DEMANDS)))
        text = "".join(parts)
    if text.endswith("，"):  # a caller who trails off is kept now and then
        text = text[:-1] + rng.choices(["。", "", "，"], weights=[6, 3, 1])[0]
    text = punctuation_style(text, rng)
    if rng.random() < TYPO_SHARE:
        text = typo(text, rng)
    while len(dedup_key(text)) < MIN_LENGTH:
        text = expand("{place}", rng) + text
    return text


def is_patrol_report(scenario: str) -> bool:
    return scenario.startswith(("[巡查发现", "[巡查"))


def aside(cls: M.ClassMaterial, rng: random.Random, by_code: dict[str, M.ClassMaterial]) -> str:
    """A mention of another class's problem in passing; mostly a neighbour, where confusion is real."""
    if cls.neighbours and rng.random() < 0.7:
        other = by_code[rng.choice(cls.neighbours)]
    else:
        other = by_code[rng.choice(sorted(code for code in by_code if code != cls.code))]
    return rng.choice(M.ASIDE_LEADS).format(expand(rng.choice(other.asides), rng))


def punctuation_style(text: str, rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.07:  # typed on a phone without punctuation
        return re.sub(r"[，。！…]+", " ", text).strip()
    if roll < 0.11:
        return text.replace("，", ",").replace("！", "!")
    if roll < 0.14:
        return re.sub(r"。", "。。。", text, count=1)
    return text.replace("，，", "，").replace("。，", "。")


def typo(text: str, rng: random.Random) -> str:
    candidates = [word for word in M.TYPOS if word in text]
    if not candidates:
        return text
    multi = [word for word in candidates if len(word) > 1]
    word = rng.choice(multi if multi and rng.random() < 0.85 else candidates)
    return text.replace(word, M.TYPOS[word], 1)


def class_size(cls: M.ClassMaterial) -> int:
    return round(BASE_PER_CLASS * cls.weight)


def build() -> tuple[list[Row], list[M.ClassMaterial]]:
    rng = random.Random(SEED)
    classes = all_classes()
    by_code = {cls.code: cls for cls in classes}
    seen: set[str] = set()
    rows: list[Row] = []
    for cls in classes:
        indices = list(range(len(cls.scenarios)))
        held_out = sorted(rng.sample(indices, max(1, round(len(indices) * HELD_OUT_SCENARIO_SHARE))))
        shared = [i for i in indices if i not in held_out]
        vague = [template for classes_, templates in M.AMBIGUOUS if cls.code in classes_ for template in templates]
        total = class_size(cls)
        test_count = round(total * TEST_SHARE)
        vague_test = round(test_count * VAGUE_SHARE) if vague else 0
        vague_train = round((total - test_count) * VAGUE_SHARE) if vague else 0
        novel_count = round(test_count * NOVEL_SHARE_OF_TEST)
        plan = [("test", "novel")] * novel_count + [("test", "vague")] * vague_test \
            + [("test", "seen")] * (test_count - novel_count - vague_test) \
            + [("train", "vague")] * vague_train + [("train", "seen")] * (total - test_count - vague_train)
        for split, kind in plan:
            for _attempt in range(200):
                if kind == "vague":
                    template = rng.choice(vague)
                    text = expand(template, rng)
                    if "{place}" not in template and "{compound}" not in template and rng.random() < 0.6:
                        text = expand(rng.choice(["{place}", "{compound}", "我家", "我们这儿"]), rng) + text
                    if rng.random() < 0.3:
                        text = expand(rng.choice(M.OPENINGS), rng) + text
                    text = punctuation_style(text, rng)
                    while len(dedup_key(text)) < MIN_LENGTH:
                        text = expand("{place}", rng) + text
                    key = dedup_key(text)
                    if key not in seen:
                        seen.add(key)
                        rows.append(Row(text, cls.code, split, "vague"))
                        break
                    continue
                if kind == "novel":
                    index = rng.choice(held_out)
                    form = pick_form(rng)
                    form = "normal" if form == "short" else form  # short forms are not scenario-specific
                    allowed = cls.scenarios
                else:
                    form = pick_form(rng)
                    index = rng.choice(shared)
                    allowed = [cls.scenarios[i] for i in shared]
                scenario = None if form == "short" else cls.scenarios[index]
                text = compose(cls, scenario, form, rng, by_code, allowed)
                key = dedup_key(text)
                if key not in seen:
                    seen.add(key)
                    rows.append(Row(text, cls.code, split, "short" if form == "short" else f"s{index}"))
                    break
            else:
                raise RuntimeError(f"{cls.code}: could not make a new text in 200 attempts; add material")
    rng.shuffle(rows)
    return rows, classes


def appeals_csv(rows: list[Row]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["id", "text", "class_code", "split", "scenario"])
    for number, row in enumerate(rows, start=1):
        writer.writerow([f"A{number:05d}", row.text, row.class_code, row.split, row.scenario])
    return out.getvalue()


def classes_csv(classes: list[M.ClassMaterial]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["class_code", "name", "group", "default_department", "description"])
    for cls in classes:
        writer.writerow([cls.code, cls.name, cls.group, cls.department, cls.description])
    return out.getvalue()


def counts_table(rows: list[Row], classes: list[M.ClassMaterial]) -> str:
    per = Counter((row.class_code, row.split) for row in rows)
    train_scenarios: dict[str, set[str]] = {}
    for row in rows:
        if row.split == "train":
            train_scenarios.setdefault(row.class_code, set()).add(row.scenario)
    novel = Counter(row.class_code for row in rows
                    if row.split == "test" and row.scenario not in train_scenarios.get(row.class_code, set()))
    lengths = sorted(len(row.text) for row in rows)
    lines = [
        f"{len(rows):,} texts in {len(classes)} classes: {sum(v for (c, s), v in per.items() if s == 'train'):,} train, "
        f"{sum(v for (c, s), v in per.items() if s == 'test'):,} test (of which {sum(novel.values())} from scenarios "
        f"held out of training). Length in characters: min {lengths[0]}, median {lengths[len(lengths) // 2]}, "
        f"max {lengths[-1]}; {sum(1 for n in lengths if n >= 100)} texts of 100 or more, "
        f"{sum(1 for n in lengths if n >= 200)} of 200 or more.",
        "",
        "| class_code | name | group | department | train | test | test, unseen scenario |",
        "|---|---|---|---|---:|---:|---:|",
    ]
    for cls in classes:
        lines.append(f"| {cls.code} | {cls.name} | {cls.group} | {cls.department} | {per[cls.code, 'train']} | "
                     f"{per[cls.code, 'test']} | {novel[cls.code]} |")
    return "\n".join(lines)


def readme_with_counts(current: str, table: str) -> str:
    start, end = current.index(COUNTS_START) + len(COUNTS_START), current.index(COUNTS_END)
    return current[:start] + "\n" + table + "\n" + current[end:]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="fail if the shipped files differ from a fresh build")
    args = parser.parse_args(argv)
    rows, classes = build()
    outputs = {APPEALS: appeals_csv(rows), CLASSES: classes_csv(classes)}
    if README.exists():
        outputs[README] = readme_with_counts(README.read_text(encoding="utf-8"), counts_table(rows, classes))
    if args.check:
        stale = [path.name for path, text in outputs.items()
                 if not path.exists() or path.read_text(encoding="utf-8") != text]
        if stale:
            print(f"stale: {', '.join(stale)}; run python -m bohai.engines.text.corpus.build", file=sys.stderr)
            return 1
        print("corpus files match a fresh build")
        return 0
    for path, text in outputs.items():
        path.write_text(text, encoding="utf-8")
    print(counts_table(rows, classes).splitlines()[0])
    return 0


if __name__ == "__main__":
    sys.exit(main())
