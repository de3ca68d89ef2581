"""A process declared as data: stages in order, each one step or several parallel steps.

    {"stages": [
        {"key": "accept", "name": "受理", "role": "window_clerk", "days": 1},
        {"key": "review", "name": "并联审查", "parallel": [
            {"key": "planning", "name": "规划审查", "role": "service_officer", "days": 5, "department": "natural_resources"},
            {"key": "fire", "name": "消防审查", "role": "service_officer", "days": 5, "department": "fire_rescue"}]},
        {"key": "decide", "name": "决定", "role": "department_head", "days": 2}]}

A step names the role that acts, its time limit in working days (`days`), office hours
(`hours`) or round-the-clock hours (`clock_hours`: a 12345 emergency is answered within 2 hours,
night or day), and optionally the department (organisation function) that acts when it is not the
process's own. A parallel stage finishes when every branch has. The declaration is kept with
each running instance, so editing a catalogue never changes a process already under way.
"""
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

KEY_CHARACTERS = set("abcdefghijklmnopqrstuvwxyz0123456789_")


@dataclass(frozen=True)
class Step:
    key: str
    name: str
    role: str
    days: int | None = None
    hours: float | None = None
    department: str | None = None
    clock_hours: float | None = None

    def declaration(self) -> dict:
        data = {"key": self.key, "name": self.name, "role": self.role}
        data.update({k: v for k, v in (("days", self.days), ("hours", self.hours), ("clock_hours", self.clock_hours),
                                       ("department", self.department)) if v is not None})
        return data


@dataclass(frozen=True)
class Stage:
    key: str
    name: str
    steps: tuple[Step, ...]
    parallel: bool = False

    @property
    def days(self) -> int:
        return max((step.days or 0) for step in self.steps)

    def declaration(self) -> dict:
        if self.parallel:
            return {"key": self.key, "name": self.name, "parallel": [s.declaration() for s in self.steps]}
        return self.steps[0].declaration()


@dataclass(frozen=True)
class Process:
    stages: tuple[Stage, ...]

    @classmethod
    def from_declaration(cls, data: dict, *, field: str = "workflow") -> "Process":
        problems: dict[str, list[str]] = {}
        stages = data.get("stages") if isinstance(data, dict) else None
        if not isinstance(stages, list) or not stages:
            raise ValidationError({field: [_("流程至少需要一个环节")]})
        parsed = [_parse_stage(raw, f"{field}.stages[{i}]", problems) for i, raw in enumerate(stages)]
        _check_unique_keys(parsed, field, problems)
        if problems:
            raise ValidationError(problems)
        return cls(tuple(parsed))

    def declaration(self) -> dict:
        return {"stages": [stage.declaration() for stage in self.stages]}

    def stage(self, key: str) -> Stage:
        for stage in self.stages:
            if stage.key == key:
                return stage
        raise KeyError(key)

    def next_stage(self, key: str) -> Stage | None:
        keys = [stage.key for stage in self.stages]
        position = keys.index(key) + 1
        return self.stages[position] if position < len(keys) else None

    def previous_stage(self, key: str) -> Stage | None:
        keys = [stage.key for stage in self.stages]
        position = keys.index(key) - 1
        return self.stages[position] if position >= 0 else None

    @property
    def days(self) -> int:
        """The sum of the stages' limits (a parallel stage counts its longest branch)."""
        return sum(stage.days for stage in self.stages)

    @property
    def roles(self) -> set[str]:
        return {step.role for stage in self.stages for step in stage.steps}


def _parse_stage(raw, path: str, problems) -> Stage:
    if not isinstance(raw, dict):
        problems[path] = [_("环节必须是对象")]
        return Stage("", "", ())
    if "parallel" in raw:
        branches = raw["parallel"]
        if not isinstance(branches, list) or len(branches) < 2:
            problems[f"{path}.parallel"] = [_("并联环节至少需要两个分支")]
            branches = []
        steps = tuple(_parse_step(branch, f"{path}.parallel[{i}]", problems) for i, branch in enumerate(branches))
        key, name = _key_and_name(raw, path, problems)
        return Stage(key, name, steps, parallel=True)
    step = _parse_step(raw, path, problems)
    return Stage(step.key, step.name, (step,))


def _parse_step(raw, path: str, problems) -> Step:
    if not isinstance(raw, dict):
        problems[path] = [_("环节必须是对象")]
        return Step("", "", "")
    key, name = _key_and_name(raw, path, problems)
    role = raw.get("role")
    if not isinstance(role, str) or not role:
        problems[f"{path}.role"] = [_("请指定办理角色")]
    days, hours, clock_hours = raw.get("days"), raw.get("hours"), raw.get("clock_hours")
    if sum(limit is not None for limit in (days, hours, clock_hours)) != 1:
        problems[f"{path}.days"] = [_("时限须为工作日（days）、工作小时（hours）或自然小时（clock_hours）之一")]
    elif days is not None and (not isinstance(days, int) or isinstance(days, bool) or days < 0):
        problems[f"{path}.days"] = [_("工作日时限须为非负整数")]
    for limit_name, value in (("hours", hours), ("clock_hours", clock_hours)):
        if value is not None and (not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0):
            problems[f"{path}.{limit_name}"] = [_("小时时限须为正数")]
    department = raw.get("department")
    if department is not None and not isinstance(department, str):
        problems[f"{path}.department"] = [_("部门须为职能标识，如 fire_rescue")]
    return Step(key, name, role or "", days, hours, department, clock_hours)


def _key_and_name(raw: dict, path: str, problems) -> tuple[str, str]:
    key, name = raw.get("key"), raw.get("name")
    if not isinstance(key, str) or not key or not set(key) <= KEY_CHARACTERS:
        problems[f"{path}.key"] = [_("标识须由小写字母、数字和下划线组成")]
        key = ""
    if not isinstance(name, str) or not name.strip():
        problems[f"{path}.name"] = [_("请填写环节名称")]
        name = ""
    return key, name


def _check_unique_keys(stages: list[Stage], field: str, problems) -> None:
    keys = [stage.key for stage in stages] + [step.key for stage in stages if stage.parallel for step in stage.steps]
    duplicates = sorted({key for key in keys if key and keys.count(key) > 1})
    if duplicates:
        problems[f"{field}.stages"] = [_("环节标识重复：%(keys)s") % {"keys": "、".join(duplicates)}]
