"""The shipped corpus: reading data/appeals.csv and data/classes.csv (see data/README.md).

The generator that writes them is the module build.py beside this file
(`python -m bohai.engines.text.corpus.build`); reading does not import it."""
import csv
from dataclasses import dataclass
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
APPEALS = DATA_DIR / "appeals.csv"
CLASSES = DATA_DIR / "classes.csv"


@dataclass(frozen=True)
class Appeal:
    id: str
    text: str
    class_code: str
    split: str  # "train" or "test"
    scenario: str  # which material the generator used: "s<n>", "short" or "vague"


@dataclass(frozen=True)
class TextClass:
    code: str
    name: str
    group: str  # "city_management" or "hotline"
    default_department: str  # organisation function key (kernel/organisations/data/departments.csv)
    description: str


def load_appeals(path: str | Path | None = None) -> list[Appeal]:
    with open(path or APPEALS, encoding="utf-8", newline="") as handle:
        return [Appeal(row["id"], row["text"], row["class_code"], row["split"], row.get("scenario") or "")
                for row in csv.DictReader(handle)]


def load_classes(path: str | Path | None = None) -> list[TextClass]:
    with open(path or CLASSES, encoding="utf-8", newline="") as handle:
        return [TextClass(row["class_code"], row["name"], row["group"], row["default_department"], row["description"])
                for row in csv.DictReader(handle)]


def departments(path: str | Path | None = None) -> dict[str, str]:
    """class_code → default department function key."""
    return {text_class.code: text_class.default_department for text_class in load_classes(path)}


def split(appeals: list[Appeal], name: str) -> list[Appeal]:
    return [appeal for appeal in appeals if appeal.split == name]


def test_kinds(appeals: list[Appeal]) -> list[str]:
    """For each test appeal: "vague", "unseen scenario" (its scenario has no train text of its
    class) or "seen scenario"; the parts of the held-out figure the README reports apart."""
    seen: dict[str, set[str]] = {}
    for appeal in appeals:
        if appeal.split == "train":
            seen.setdefault(appeal.class_code, set()).add(appeal.scenario)
    kinds = []
    for appeal in split(appeals, "test"):
        if appeal.scenario == "vague":
            kinds.append("vague")
        elif appeal.scenario in seen.get(appeal.class_code, set()):
            kinds.append("seen scenario")
        else:
            kinds.append("unseen scenario")
    return kinds
