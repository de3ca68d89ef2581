"""Demo cases: a year of 数字城管 cases and 12345 appeals, so that the queues, the case pages and the
leaders' dashboard are alive on first start.

What `bohai demo` gets (seed 2026):
  - 6,000 cases reported over the 365 days before today (more in recent months): 55 % on the 数字城管
    track in every county (the city seat's two districts most), 45 % 12345 appeals by population, a few
    in the functional zones and at the city itself; every state: refused and merged duplicates, awaiting
    filing, dispatch and signing (the last days' backlog), in handling (some long overdue: the city's
    backlog), awaiting verification or the follow-up call, deferred (挂账, some resumed), closed;
  - rates like the city's: about 90 % of the cases due closed and 75 % closed on time, 1 % rework, 8 %
    sent back by the first unit, 90 % of callers satisfied or basically satisfied;
  - descriptions from the shipped corpus (bohai/engines/text/data/appeals.csv), by class, choosing
    texts that name no other county than the case's; points drawn inside each county's boundary (the
    demo grid of 运河区 and 新华区 gives their cases a township and a grid); the text model's
    suggestions, and the dispatch corrections the actions would keep;
  - roles: case_supervisor and case_dispatcher for the city's 城运中心 (130900-grid_command) over the
    city, case_handler for the staff account of every unit of a function that handles a class, within
    its unit; work for "grid_worker" (verifications in their grid), "hotline" (routing and follow-up
    calls) and "dept_head" (appeals of 沧州市民政局, their unit, handled at the city).

How
  Each case is a *story* (what happens to it and when, drawn from the seed and cut at the present
  moment). The historical bulk is written as the actions would have left it (case, workflow instance
  and tasks with their clocks and cards, timeline), in batches of 1,000 with one audit record each
  (`store_demo_batch`); the most recent stories and the demo accounts' are replayed through the real
  actions with `at=` timestamps.

Idempotent: every demo case carries the token `demo:<seed>:<n>` in `external_token` (the events
handler's convention for "made once"); a story whose token exists is skipped, so a second run adds
nothing and an interrupted one resumes.
"""
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

import shapely
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from bohai.engines.workdays.clock import LOCAL_ZONE, local_date, working_calendar
from bohai.engines.workflows import actions as engine
from bohai.engines.workflows.models import InstanceStatus, TaskStatus, WorkflowInstance, WorkflowTask
from bohai.engines.workflows.models import Warning as Card
from bohai.kernel.accounts.models import AccountKind, Role, RoleAssignment, User
from bohai.kernel.audit.recording import record
from bohai.kernel.audit.service import Conflict, service_action
from bohai.kernel.crypto.fields import blind_index, encrypt
from bohai.kernel.identities import validators
from bohai.kernel.organisations.models import Organisation
from bohai.kernel.regions.geometry import geometry_from_geojson
from bohai.kernel.regions.models import Level, Region
from bohai.kernel.regions.spatial import locate_many

from .dispatch import LOCALITY_FUNCTION, Suggestion, current_model, suggestion_record
from .models import (
    AppealType, Case, CaseClass, CaseEvent, ClassKind, DispatchCorrection, Satisfaction, Source, Status, Track, Urgency,
)
from .processes import DISPATCH, FILE, FOLLOW_UP, HANDLE, ROUTE, SIGN, VERIFY, city_process, hotline_process

ACTOR = "system:demo"
CASES = 6000
REPLAYED = 80               # the most recent stories go through the real actions
BATCH = 1000
DAYS = 365
GROWTH = 0.5                 # the last day sees 1.5 times the first day's reports
HOTLINE_SHARE = 0.45
SEAT_SHARE = {"130903": 0.26, "130902": 0.20}   # of the 数字城管 cases: the city seat's districts
ZONE_SHARE, CITY_SHARE = 0.03, 0.02             # of the appeals: in a functional zone, at the city itself
POINTLESS = 0.1              # appeals placed by county only (no address the map can place)
INVALID = {Track.CITY: 0.05, Track.HOTLINE: 0.03}
MERGED = {Track.CITY: 0.04, Track.HOTLINE: 0.01}
SENT_BACK = 0.08
LATE = {Track.CITY: 0.18, Track.HOTLINE: 0.17}
STUCK = 0.08                 # signed (or routed) and never handled: the backlog past its deadline
DEFERRED, RESUMED = 0.015, 0.3
REWORK = 0.01
STALL, STALL_DAYS = 0.2, 3   # of the last days' stories: waiting at an early stage
SATISFACTION = ((Satisfaction.SATISFIED, 0.72), (Satisfaction.BASICALLY, 0.18), (Satisfaction.DISSATISFIED, 0.10))
HANDLER_ROLE = "case_handler"
CITY_ROLES = ("case_supervisor", "case_dispatcher")
COMMAND_FUNCTION = "grid_command"
CITY_SOURCES = ((Source.PATROL, 0.78), (Source.PORTAL, 0.12), (Source.OPEN311, 0.06), (Source.SENSOR, 0.04))
APPEAL_TYPES = ((AppealType.COMPLAINT, 0.45), (AppealType.HELP, 0.25), (AppealType.CONSULT, 0.15),
                (AppealType.REPORT, 0.08), (AppealType.SUGGESTION, 0.05), (AppealType.PRAISE, 0.02))
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超霞平刚桂英华玉兰萍红建国志海燕文博雪梅秀鹏辉晨宇欣怡浩然"
ROADS = ("解放路", "永济路", "北京路", "上海路", "浮阳大道", "运河路", "御河路", "黄河路", "长芦大道", "清池大道", "光荣路",
         "新华路", "迎宾大道", "九河路", "建设大街", "朝阳大街", "人民路", "文化路", "胜利路", "府前街")
REFUSALS = ("不属于城市管理范围", "现场核实问题不存在", "信息不全，无法核实", "属私人产权范围，已告知当事人")
APPEAL_REFUSALS = ("非本市事项，已告知来电人向属地反映", "咨询类诉求，已当场解答", "来电人撤回诉求")
SEND_BACKS = ("不属于本单位职责，请改派", "该设施非本单位管养，建议派往属地", "经核实属其他部门职责")
HANDLED_NOTES = ("已到场处置完毕", "已安排人员清理完毕", "已维修恢复正常", "已责令当事人整改到位", "已联系产权单位修复")
REPLIES = ("已联系相关单位处理，问题已解决，已向来电人答复", "经核实已督促整改，已电话答复来电人", "已按政策向来电人解释说明")
REWORK_NOTES = ("现场复核问题仍存在", "处置不彻底，仍有残留")
DEFER_REASONS = ("需列入明年改造计划", "涉及资金审批，暂时无法解决", "需多部门协调，列入挂账督办")
CLASS_TEXTS = "{place}{road}附近{name}，{description}，请尽快处理。"


# Entry point ---------------------------------------------------------------------------------

def generate_demo_cases(*, actor=ACTOR, seed: int, count: int = CASES, replayed: int = REPLAYED,
                        now: datetime | None = None) -> dict:
    """Generate what is missing; returns counts (zeros on a second run)."""
    now = now or timezone.now()
    if not CaseClass.objects.filter(parent__isnull=False).exists() or not Region.objects.filter(
            level=Level.COUNTY, boundary__isnull=False).exists():
        return {"skipped": "no case classes or no county boundaries"}
    granted = grant_case_roles(actor=actor)
    world = World.build(seed, now, actor)
    prefix = f"demo:{seed}:"
    known = set(Case.objects.filter(external_token__startswith=prefix).values_list("external_token", flat=True))
    planned = sum(1 for token in known if token[len(prefix):].isdigit())
    stories = (world.plan(count) if planned < count else []) + world.showcases()
    fresh = [story for story in stories if story.key not in known]
    replay = {story.key for story in world.to_replay(fresh, replayed)}
    bulk = [story for story in fresh if story.key not in replay]
    world.suggest(fresh)
    statuses: Counter = Counter()
    for start in range(0, len(bulk), BATCH):
        statuses.update(store_demo_batch(world, bulk[start:start + BATCH], actor=actor))
    failed = 0
    for story in fresh:
        if story.key in replay:
            status = world.replay(story)
            failed += status is None
            statuses[str(status or "failed")] += 1
    return {"cases": len(fresh), "bulk": len(bulk), "through_actions": len(replay), "failed": failed,
            "roles_granted": granted, "statuses": dict(sorted(statuses.items()))}


# Roles ---------------------------------------------------------------------------------------------

def grant_case_roles(*, actor) -> int:
    """case_supervisor and case_dispatcher for the city's 城运中心 over the city (place roles: no unit);
    case_handler within their unit for the staff of every unit whose function handles a class."""
    from bohai.kernel.demo.accounts import unit_username

    city = Region.objects.defer("boundary").filter(key=settings.BOHAI_CITY_CODE).first()
    functions = set(CaseClass.objects.exclude(department="").values_list("department", flat=True))
    units = list(Organisation.objects.filter(function__in=functions | {COMMAND_FUNCTION}).select_related("region")
                 .defer("region__boundary"))
    users = {u.username: u for u in User.objects.filter(username__in=[unit_username(u) for u in units],
                                                         kind=AccountKind.STAFF)}
    roles = {r.code: r for r in Role.objects.filter(code__in=(HANDLER_ROLE, *CITY_ROLES))}
    wanted = []
    for unit in units:
        user = users.get(unit_username(unit))
        if user is None:
            continue
        if unit.function == COMMAND_FUNCTION:
            if city is not None and unit.region_id == city.pk:
                wanted += [(user, roles[code], city, None) for code in CITY_ROLES if code in roles]
        elif HANDLER_ROLE in roles and unit.function in functions:
            wanted.append((user, roles[HANDLER_ROLE], unit.region, unit))
    held = set(RoleAssignment.objects.filter(role__in=roles.values(), user__in=users.values())
               .values_list("user_id", "role_id", "region_id", "organisation_id"))
    missing = [(u, r, g, o) for u, r, g, o in wanted if (u.pk, r.pk, g.pk, o.pk if o else None) not in held]
    return store_demo_roles(missing, actor=actor) if missing else 0


@service_action
def store_demo_roles(assignments: list, *, actor) -> int:
    RoleAssignment.objects.bulk_create([RoleAssignment(user=user, role=role, region=region, organisation=unit)
                                        for user, role, region, unit in assignments])
    record(actor=actor, action="accounts.role.bulk_assign", target_type="accounts.roleassignment",
           after={"count": len(assignments), "source": "cases demo",
                  "roles": sorted({role.code for _user, role, _region, _unit in assignments})})
    return len(assignments)


# Stories ---------------------------------------------------------------------------------------

@dataclass
class Op:
    kind: str              # report, file, refuse, dispatch, send_back, sign, defer, resume, handle, verify, follow_up
    at: datetime
    unit: Organisation | None = None
    text: str = ""
    passed: bool = True
    satisfaction: str = ""
    merge_into: str = ""   # the story key a duplicate is merged into


@dataclass
class Story:
    key: str
    index: int
    track: str
    source: str
    case_class: CaseClass
    text: str
    reported_at: datetime
    region: Region                      # where it lies (the deepest region of its point, or a county/zone/city)
    county: Region | None
    township: Region | None
    grid: Region | None
    lng: float | None = None
    lat: float | None = None
    address: str = ""
    appeal_type: str = ""
    caller_name: str = ""
    caller_phone: str = ""
    ops: list[Op] = field(default_factory=list)
    showcase: bool = False
    suggestion: dict = field(default_factory=dict)
    plot: "Plot | None" = None           # a showcase's plot, instead of one drawn from the seed
    unit: Organisation | None = None     # a showcase's unit, instead of the responsible one

    @property
    def urgent(self) -> bool:
        return self.case_class.urgency == Urgency.URGENT


@dataclass
class Plot:
    invalid: bool = False
    merged: bool = False
    sent_back: bool = False
    late: bool = False
    stuck: bool = False
    deferred: bool = False
    resumed: bool = False
    rework: bool = False
    stall: str = ""        # the kind of the first op that has not happened yet
    satisfaction: str = ""
    fast: bool = False     # handled the same day (showcases)


def draw_plot(rng: random.Random, track: str, recent: bool) -> Plot:
    u = rng.random()
    plot = Plot(invalid=u < INVALID[track], merged=INVALID[track] <= u < INVALID[track] + MERGED[track])
    plot.sent_back = rng.random() < SENT_BACK
    plot.late = rng.random() < LATE[track]
    plot.stuck = rng.random() < STUCK
    plot.deferred = track == Track.CITY and not plot.stuck and rng.random() < DEFERRED
    plot.resumed = plot.deferred and rng.random() < RESUMED
    plot.rework = rng.random() < REWORK
    plot.satisfaction = _weighted(rng, SATISFACTION)
    if recent and rng.random() < STALL:
        plot.stall = rng.choice(("file", "dispatch", "sign", "verify") if track == Track.CITY else
                                ("dispatch", "follow_up"))
    return plot


def _weighted(rng: random.Random, choices) -> str:
    values, weights = zip(*choices)
    return rng.choices(values, weights=weights)[0]


class Clock:
    """Moments of the story: office time for the centre's one-hour steps, working days for handling."""

    def __init__(self, rng: random.Random, calendar=None):
        self.rng, self.calendar = rng, calendar or working_calendar()

    def office(self, start: datetime, low: float, high: float) -> datetime:
        return self.calendar.add_working_hours(start, self.rng.uniform(low, high))

    def days(self, start: datetime, days: int) -> datetime:
        """A moment in office hours `days` working days after `start` (later the same day for 0)."""
        rng, calendar = self.rng, self.calendar
        local = start.astimezone(LOCAL_ZONE)
        day = calendar.nth_working_day_after(local.date(), days)
        if day == local.date():
            closing = datetime.combine(day, time(17, 20), tzinfo=LOCAL_ZONE)
            if calendar.is_working_day(day) and local < closing - timedelta(minutes=10):
                opening = max(local, datetime.combine(day, time(8, 40), tzinfo=LOCAL_ZONE))
                span = int(min((closing - opening).total_seconds(), 4 * 3600))
                return opening + timedelta(seconds=rng.randint(300, max(300, span)))
            day = calendar.nth_working_day_after(day, 1)
        seconds = rng.randint(8 * 3600 + 40 * 60, 17 * 3600 + 20 * 60)
        return datetime.combine(day, time.min, tzinfo=LOCAL_ZONE) + timedelta(seconds=seconds)

    def handling(self, start: datetime, case_class: CaseClass, urgent: bool, late: bool, track: str,
                 fast: bool = False) -> datetime:
        """When the unit reports back: within the class's limit, or past it for a late story."""
        limit = _limit(case_class, urgent, track)
        if fast:
            return self.days(start, 0) if "days" in limit else start + timedelta(minutes=self.rng.randint(20, 60))
        if "clock_hours" in limit:
            hours = limit["clock_hours"]
            share = self.rng.uniform(1.05, 2.5) if late else self.rng.uniform(0.15, 0.95)
            return start + timedelta(hours=hours * share)
        days = limit["days"]
        used = days + self.rng.randint(1, max(2, days // 2)) if late else min(days, int(days * self.rng.betavariate(1.5, 2.5) + 0.5))
        return self.days(start, used)


_processes: dict = {}


def process_of(case_class: CaseClass, urgent: bool, track: str):
    """The case's process (cases.processes), made once per class, urgency and track."""
    key = (case_class.pk, case_class.limit_days, case_class.limit_hours, urgent, track)
    if key not in _processes:
        _processes[key] = city_process(case_class, urgent) if track == Track.CITY else hotline_process(case_class, urgent)
    return _processes[key]


def _limit(case_class: CaseClass, urgent: bool, track: str) -> dict:
    step = process_of(case_class, urgent, track).stage(HANDLE).steps[0]
    return {"clock_hours": step.clock_hours} if step.clock_hours else {"days": step.days or 0, "hours": step.hours}


def tell(rng: random.Random, story: Story, plot: Plot, units: tuple, merge_into: str, calendar=None) -> list[Op]:
    """Every operation of the story in time order (the caller cuts it at the present).
    `units`: (the right unit, a wrong one for a first dispatch that is sent back)."""
    clock = Clock(rng, calendar)
    right, wrong = units
    t = story.reported_at
    ops = [Op("report", t)]
    city = story.track == Track.CITY
    if plot.invalid or (plot.merged and merge_into):
        at = clock.office(t, 0.1, 0.9) if city else t + timedelta(minutes=rng.randint(5, 100))
        reasons = REFUSALS if city else APPEAL_REFUSALS
        return ops + [Op("refuse", at, text="与先报案件重复" if plot.merged else rng.choice(reasons),
                         merge_into=merge_into if plot.merged else "")]
    if city:
        t = clock.office(t, 0.1, 0.9) if rng.random() > 0.03 else clock.office(t, 1.2, 3.0)
        ops.append(Op("file", t))
        t = clock.office(t, 0.1, 0.8)
    else:
        t += timedelta(minutes=rng.randint(5, 110) if rng.random() > 0.03 else rng.randint(130, 360))
    if plot.sent_back and wrong is not None:
        ops.append(Op("dispatch", t, unit=wrong))
        t = clock.office(t, 0.1, 0.9) if city else clock.days(t, rng.randint(0, 1))
        ops.append(Op("send_back", t, text=rng.choice(SEND_BACKS)))
        t = clock.office(t, 0.1, 0.6) if city else t + timedelta(minutes=rng.randint(10, 90))
    ops.append(Op("dispatch", t, unit=right))
    if city:
        t = clock.office(t, 0.1, 0.9) if rng.random() > 0.04 else clock.office(t, 1.2, 4.0)
        ops.append(Op("sign", t))
    if plot.stuck:
        return ops
    if plot.deferred:
        t = clock.days(t, rng.randint(0, 1))
        ops.append(Op("defer", t, text=rng.choice(DEFER_REASONS)))
        if not plot.resumed:
            return ops
        t = clock.days(t, rng.randint(10, 40))
        ops.append(Op("resume", t))
        t = clock.days(t, rng.randint(0, 1))
        ops.append(Op("handle", t, text=rng.choice(HANDLED_NOTES)))
    else:
        t = clock.handling(t, story.case_class, story.urgent, plot.late, story.track, plot.fast)
        ops.append(Op("handle", t, text=rng.choice(HANDLED_NOTES if city else REPLIES)))
    if city:
        if plot.rework:
            t = clock.days(t, rng.choice((0, 0, 1)))
            ops.append(Op("verify", t, passed=False, text=rng.choice(REWORK_NOTES)))
            t = clock.days(t, rng.randint(0, 1))
            ops.append(Op("handle", t, text=rng.choice(HANDLED_NOTES)))
        t = clock.days(t, rng.choice((0, 0, 1)))
        ops.append(Op("verify", t, passed=True, text="现场核查已处置到位"))
    else:
        t = clock.days(t, rng.randint(0, 2))
        ops.append(Op("follow_up", t, satisfaction=plot.satisfaction,
                      text="来电人表示认可" if plot.satisfaction != Satisfaction.DISSATISFIED else "来电人对处理结果不满意"))
    return ops


def cut(ops: list[Op], now: datetime, stall: str = "") -> list[Op]:
    """The story up to now; a stalled story stops before its first op of kind `stall`."""
    kept = []
    for op in ops:
        if op.at > now or (stall and op.kind == stall):
            break
        kept.append(op)
    return kept


# The world: classes, texts, places, units, who acts ----------------------------------------------

class World:
    def __init__(self, seed: int, now: datetime, actor):
        self.seed, self.now, self.actor = seed, now, actor
        self.calendar = working_calendar()
        self.officers: list = []
        self._officer_cache: dict = {}
        self._units: dict = {}

    @classmethod
    def build(cls, seed: int, now: datetime, actor) -> "World":
        world = cls(seed, now, actor)
        classes = list(CaseClass.objects.filter(parent__isnull=False, active=True).order_by("code"))
        world.city_classes = [c for c in classes if c.kind != ClassKind.TOPIC]
        world.topics = [c for c in classes if c.kind == ClassKind.TOPIC]
        world.by_label = {c.model_label: c for c in CaseClass.objects.filter(active=True).exclude(model_label="")}
        world._load_places()
        world._load_texts()
        world._load_staff()
        return world

    def _load_places(self) -> None:
        regions = list(Region.objects.defer("boundary").order_by("path"))
        self.region_by_key = {r.key: r for r in regions}
        self.region_by_pk = {r.pk: r for r in regions}
        self.city = self.region_by_key.get(settings.BOHAI_CITY_CODE)
        self.units_by = {(u.function, u.region.key): u for u in Organisation.objects.select_related("region")
                         .defer("region__boundary").order_by("path")}
        self.counties = [r for r in regions if r.level == Level.COUNTY]
        self.zones = [r for r in regions if r.level == Level.ZONE]
        self.shapes = {}
        for key, boundary in Region.objects.filter(level=Level.COUNTY, boundary__isnull=False).values_list("key", "boundary"):
            geometry = geometry_from_geojson(boundary)
            shapely.prepare(geometry)
            self.shapes[key] = geometry
        self.counties = [c for c in self.counties if c.key in self.shapes]
        names = sorted({c.name for c in [*self.counties, *self.zones]} | {_short(c.name) for c in self.counties}, key=len)
        self.place_names = [n for n in names if len(n) >= 2]

    def _load_texts(self) -> None:
        from bohai.engines.text.corpus import load_appeals

        self.texts: dict[str, list[tuple[str, frozenset]]] = {}
        for appeal in load_appeals():  # each text with the places it names
            named = frozenset(name for name in self.place_names if name in appeal.text)
            self.texts.setdefault(appeal.class_code, []).append((appeal.text, named))

    def _load_staff(self) -> None:
        assignments = (RoleAssignment.objects.filter(role__code__in=(*CITY_ROLES, HANDLER_ROLE, "grid_worker", "hotline_operator"),
                                                     user__is_active=True, user__kind=AccountKind.STAFF)
                       .select_related("role", "region", "organisation", "user").defer("region__boundary")
                       .order_by("user__username"))
        for a in assignments:
            self.officers.append((a.role.code, a.region.path, a.organisation.path if a.organisation_id else None, a.user))

    def officer(self, role: str, region: Region, organisation: Organisation | None) -> User | None:
        """The first demo staff account (by username) that may act on a task of this role, place and unit."""
        key = (role, region.pk, organisation.pk if organisation else None)
        if key not in self._officer_cache:
            self._officer_cache[key] = next(
                (user for code, region_path, unit_path, user in self.officers
                 if code == role and region.path.startswith(region_path)
                 and (unit_path is None or (organisation is not None and organisation.path.startswith(unit_path)))),
                None)
        return self._officer_cache[key]

    def unit(self, function: str, region: Region) -> Organisation | None:
        """organisations.directory.counterpart, answered from this plan's own map."""
        if (function, region.pk) not in self._units:
            keys = region.path.strip("/").split("/")[::-1]
            self._units[(function, region.pk)] = next(
                (self.units_by[(function, k)] for k in keys if (function, k) in self.units_by), None)
        return self._units[(function, region.pk)]

    def responsible(self, case_class: CaseClass, region: Region) -> Organisation | None:
        return (self.unit(case_class.department, region) if case_class.department else None) or \
            self.unit(LOCALITY_FUNCTION, region)

    def wrong_unit(self, rng: random.Random, right: Organisation | None, region: Region) -> Organisation | None:
        functions = ("urban_management", "water", "housing_construction", "transport", "market_regulation")
        choices = [u for u in (self.unit(f, region) for f in functions) if u is not None and u != right]
        return rng.choice(choices) if choices else None

    # The plan ------------------------------------------------------------------------------------

    def plan(self, count: int) -> list[Story]:
        """`count` stories reported over the last DAYS days, oldest first, placed in bulk."""
        start = self.now - timedelta(days=DAYS)
        drafts = []
        for index in range(count):
            rng = random.Random(f"{self.seed}:{index}")
            track = Track.HOTLINE if rng.random() < HOTLINE_SHARE else Track.CITY
            reported_at = self._report_time(rng, start + timedelta(days=_fraction_of_year(rng) * DAYS), track)
            drafts.append((index, rng, track, reported_at, self._where(rng, track)))
        located = self._locate([(f"{self.seed}:{index}:point", where) for index, _rng, _track, _at, where in drafts])
        stories = []
        for (index, rng, track, reported_at, _where), place in zip(drafts, located):
            case_class = self._class(rng, track, reported_at)
            stories.append(self._story(f"demo:{self.seed}:{index:05d}", index, rng, track, case_class, reported_at, place))
        stories.sort(key=lambda story: (story.reported_at, story.index))
        self._tell_all(stories)
        return stories

    def _tell_all(self, stories: list[Story]) -> None:
        """Plots and operations; a duplicate merges into the latest earlier filed story of its county."""
        filed_in: dict = {}
        recent_from = self.now - timedelta(days=STALL_DAYS)
        for story in stories:
            rng = random.Random(f"{self.seed}:{story.key}:plot")
            plot = story.plot or draw_plot(rng, story.track, story.reported_at >= recent_from)
            into = filed_in.get((story.track, story.county.pk if story.county else None), "") if plot.merged else ""
            right = story.unit or self.responsible(story.case_class, story.region)
            units = (right, self.wrong_unit(rng, right, story.region))
            ops = tell(rng, story, plot, units, into, self.calendar)
            story.ops = cut(ops, self.now, plot.stall)
            if not (plot.invalid or plot.merged) and any(op.kind in ("file", "dispatch") for op in story.ops):
                filed_in[(story.track, story.county.pk if story.county else None)] = story.key

    def _report_time(self, rng: random.Random, moment: datetime, track: str) -> datetime:
        """Patrols in office hours of working days; the public (and 12345) from 7:00 to 22:00 any day."""
        day = local_date(min(moment, self.now))
        if track == Track.CITY and rng.random() < 0.8:
            while not self.calendar.is_working_day(day):
                day -= timedelta(days=1)
            seconds = rng.randint(8 * 3600 + 30 * 60, 17 * 3600)
        else:
            seconds = rng.randint(7 * 3600, 22 * 3600)
        at = datetime.combine(day, time.min, tzinfo=LOCAL_ZONE) + timedelta(seconds=seconds)
        return min(at, self.now - timedelta(minutes=rng.randint(3, 90)))

    def _where(self, rng: random.Random, track: str):
        """A county to draw a point in, or a zone or the city for appeals without one."""
        if track == Track.HOTLINE:
            u = rng.random()
            if u < CITY_SHARE and self.city is not None:
                return ("region", self.city)
            if u < CITY_SHARE + ZONE_SHARE and self.zones:
                return ("region", rng.choice(self.zones))
            county = rng.choices(self.counties, weights=[c.population or 100_000 for c in self.counties])[0]
            return ("region", county) if rng.random() < POINTLESS else ("point", county)
        seat = {key: share for key, share in SEAT_SHARE.items() if key in self.shapes}
        rest = [c for c in self.counties if c.key not in seat]
        u, county = rng.random(), None
        for key, share in seat.items():
            if u < share:
                county = self.region_by_key[key]
                break
            u -= share
        if county is None:
            county = rng.choices(rest, weights=[c.population or 100_000 for c in rest])[0]
        return ("point", county)

    def _locate(self, wheres: list) -> list[tuple]:
        """(region, county, township, grid, lng, lat) for each (seed, where): a point drawn inside the
        county's boundary with the story's own generator, located as report_case locates it."""
        coordinates = {}
        for i, (seed, where) in enumerate(wheres):
            if where[0] == "point":
                geometry, rng = self.shapes[where[1].key], random.Random(seed)
                west, south, east, north = geometry.bounds
                while True:
                    lng, lat = round(rng.uniform(west, east), 6), round(rng.uniform(south, north), 6)
                    if shapely.contains_xy(geometry, lng, lat):
                        coordinates[i] = (lng, lat)
                        break
        order = sorted(coordinates)
        located = dict(zip(order, locate_many([coordinates[i][0] for i in order], [coordinates[i][1] for i in order])))
        places = []
        for i, (_seed, where) in enumerate(wheres):
            location = located.get(i)
            if not location:
                places.append(self._place_of(where[1]) + (None, None))
                continue
            branch = (location.county, location.township, location.grid)
            places.append((self.region_by_pk[location.deepest.pk], *(self.region_by_pk[r.pk] if r else None for r in branch),
                           *coordinates[i]))
        return places

    def _place_of(self, region: Region) -> tuple:
        levels = {self.region_by_key[k].level: self.region_by_key[k] for k in region.path.strip("/").split("/")
                  if k in self.region_by_key}
        return (region, levels.get(Level.COUNTY) or levels.get(Level.ZONE), levels.get(Level.TOWNSHIP), levels.get(Level.GRID))

    def _class(self, rng: random.Random, track: str, reported_at: datetime) -> CaseClass:
        if track == Track.CITY:
            weights = [(len(self.texts.get(c.model_label, ())) or 40) for c in self.city_classes]
            return rng.choices(self.city_classes, weights=weights)[0]
        winter = timezone.localtime(reported_at, LOCAL_ZONE).month in (11, 12, 1, 2, 3)
        weights = [(len(self.texts.get(c.model_label, ())) or 40) * (4 if c.model_label == "heating" and winter else
                                                                    0.2 if c.model_label == "heating" else 1)
                   for c in self.topics]
        return rng.choices(self.topics, weights=weights)[0]

    def _story(self, key: str, index: int, rng: random.Random, track: str, case_class: CaseClass, reported_at: datetime,
               place: tuple, **others) -> Story:
        region, county, township, grid, lng, lat = place
        story = Story(key, index, track, Source.HOTLINE if track == Track.HOTLINE else _weighted(rng, CITY_SOURCES),
                      case_class, "", reported_at, region, county, township, grid, lng, lat, **others)
        story.text = self._text(rng, case_class, county)
        story.address = self._address(rng, township or county or region) if lng is not None else ""
        if track == Track.HOTLINE:
            story.appeal_type = _weighted(rng, APPEAL_TYPES)
            story.caller_name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2)))
            story.caller_phone = rng.choice(("138", "139", "150", "186", "187", "133", "177")) + f"{rng.randrange(10 ** 8):08d}"
        return story

    def _text(self, rng: random.Random, case_class: CaseClass, county: Region | None) -> str:
        """A corpus text of the class naming no other county than the case's; a plain one for classes the
        corpus lacks."""
        own = {county.name, _short(county.name)} if county else set()
        fitting = [text for text, named in self.texts.get(case_class.model_label, ()) if named <= own]
        if fitting:
            return rng.choice(fitting)
        place = county.name if county else "市区"
        return CLASS_TEXTS.format(place=place, road=rng.choice(ROADS), name=case_class.name,
                                  description=case_class.description.rstrip("。") or case_class.name)

    def _address(self, rng: random.Random, region: Region) -> str:
        return f"{region.name}{rng.choice(ROADS)}{rng.randint(1, 300)}号附近"

    # Showcases: the demo accounts' work ------------------------------------------------------------

    def showcases(self) -> list[Story]:
        """Verifications in grid_worker's grid, appeals of dept_head's unit, follow-up calls for hotline."""
        stories = []
        worker = RoleAssignment.objects.filter(user__username="grid_worker", role__code="grid_worker").select_related(
            "region").first()
        if worker is not None:
            stories += self._grid_showcases(worker.region)
        head = RoleAssignment.objects.filter(user__username="dept_head", role__code="department_head").select_related(
            "organisation").first()
        if head is not None and head.organisation is not None and self.city is not None:
            stories += self._unit_showcases(head.organisation)
        stories += self._centre_showcases()
        stories.sort(key=lambda story: story.reported_at)
        self._tell_all(stories)
        return stories

    def _grid_showcases(self, area: Region) -> list[Story]:
        boundary = Region.objects.filter(pk=area.pk).values_list("boundary", flat=True).first()
        if not boundary:
            return []
        geometry = geometry_from_geojson(boundary)
        shapely.prepare(geometry)
        rng = random.Random(f"{self.seed}:grid")
        west, south, east, north = geometry.bounds
        points = []
        while len(points) < 6:
            lng, lat = rng.uniform(west, east), rng.uniform(south, north)
            if shapely.contains_xy(geometry, lng, lat):
                points.append((round(lng, 6), round(lat, 6)))
        located = locate_many([p[0] for p in points], [p[1] for p in points])
        classes = [c for c in self.city_classes if c.model_label in ("exposed_garbage", "street_light", "illegal_ads",
                                                                      "road_damage", "green_damage", "street_vending")]
        classes = classes or self.city_classes
        stories = []
        for n, ((lng, lat), location) in enumerate(zip(points, located)):
            if not location:
                continue
            place = (self.region_by_pk[location.deepest.pk], *(self.region_by_pk[r.pk] if r else None for r in (
                location.county, location.township, location.grid)), lng, lat)
            # Four handled and waiting for the grid worker's check; two closed.
            days_ago = (2, 3, 4, 6, 9, 20)[n]
            reported = self._working_morning(days_ago, n)
            story = self._story(f"demo:{self.seed}:grid{n}", -1, rng, Track.CITY, classes[n % len(classes)], reported,
                                place, showcase=True)
            story.source, story.plot = Source.PATROL, Plot(fast=True, stall="verify" if n < 4 else "")
            stories.append(story)
        return stories

    def _centre_showcases(self) -> list[Story]:
        """The supervision and command centre's queue (to file, to dispatch), a case awaiting signature, one
        deferred, and a 12345 appeal awaiting routing, in the city seat."""
        seat = next((c for c in self.counties if c.key in SEAT_SHARE), self.counties[0] if self.counties else None)
        if seat is None:
            return []
        wants = ((Track.CITY, Plot(stall="file"), 0), (Track.CITY, Plot(stall="dispatch"), 1),
                 (Track.CITY, Plot(stall="sign"), 1), (Track.CITY, Plot(fast=True, deferred=True), 5),
                 (Track.HOTLINE, Plot(stall="dispatch"), 0))
        places = self._locate([(f"{self.seed}:centre{n}:point", ("point", seat)) for n in range(len(wants))])
        rng = random.Random(f"{self.seed}:centre")
        stories = []
        for n, ((track, plot, days_ago), place) in enumerate(zip(wants, places)):
            case_class = self._class(rng, track, self.now)
            story = self._story(f"demo:{self.seed}:centre{n}", -1, rng, track, case_class,
                                self._working_morning(days_ago, n) if days_ago else self.now - timedelta(minutes=40 + n),
                                place, showcase=True)
            story.plot = plot
            stories.append(story)
        return stories

    def _unit_showcases(self, unit: Organisation) -> list[Story]:
        topics = [c for c in self.topics if c.department == unit.function] or self.topics[:1]
        rng = random.Random(f"{self.seed}:unit")
        place = self._place_of(unit.region) + (None, None)
        stories = []
        # In handling, answered and waiting for the follow-up call, closed.
        plots = (Plot(stuck=True), Plot(stuck=True), Plot(fast=True, stall="follow_up"), Plot(fast=True, stall="follow_up"),
                 Plot(fast=True, satisfaction=Satisfaction.SATISFIED), Plot(fast=True, satisfaction=Satisfaction.BASICALLY))
        for n, days_ago in enumerate((1, 2, 3, 5, 15, 30)):
            reported = self._working_morning(days_ago, n)
            story = self._story(f"demo:{self.seed}:unit{n}", -1, rng, Track.HOTLINE, topics[n % len(topics)], reported,
                                place, showcase=True)
            story.unit, story.plot = unit, plots[n]
            stories.append(story)
        return stories

    def _working_morning(self, days_ago: int, n: int) -> datetime:
        day = local_date(self.now) - timedelta(days=days_ago)
        while days_ago and not self.calendar.is_working_day(day):
            day -= timedelta(days=1)
        return min(datetime.combine(day, time(8, 45), tzinfo=LOCAL_ZONE) + timedelta(minutes=23 * n),
                   self.now - timedelta(hours=2, minutes=n))

    def to_replay(self, stories: list[Story], count: int) -> list[Story]:
        """The showcases and the `count` most recent stories go through the actions."""
        chosen = [story for story in stories if story.showcase]
        recent = sorted((story for story in stories if not story.showcase), key=lambda story: story.reported_at)
        return chosen + recent[max(0, len(recent) - count):]

    def suggest(self, stories: list[Story]) -> None:
        """The text model's top three, as report_case stores them (no keyword rules in the demo)."""
        if not stories:
            return
        ranked = current_model().suggest_many([story.text for story in stories], k=3)
        for story, choices in zip(stories, ranked):
            suggestions = []
            for choice in choices:
                case_class = self.by_label.get(choice.label)
                if case_class is None:
                    continue
                unit = self.responsible(case_class, story.region)
                suggestions.append(Suggestion(case_class.code, case_class.name, round(float(choice.confidence), 4),
                                              case_class.department, unit.pk if unit else None, unit.name if unit else ""))
            story.suggestion = suggestion_record(suggestions)

    # Through the real actions ------------------------------------------------------------------

    def replay(self, story: Story) -> str | None:
        """Run the story through the actions; the case's final status, or None if an action refused."""
        from . import actions

        try:
            case = actions.report_case(**self.report_arguments(story))
            for op in story.ops[1:]:
                case = self._replay_op(actions, case, story, op)
            return case.status
        except (ValidationError, Conflict, PermissionDenied):
            return None

    def report_arguments(self, story: Story) -> dict:
        reporter = self.reporter(story)
        place = {"lng": story.lng, "lat": story.lat} if story.lng is not None else {"region": story.region}
        return {"actor": reporter or self.actor, "track": story.track, "source": story.source, "description": story.text,
                "case_class": story.case_class, "appeal_type": story.appeal_type, "address": story.address,
                "caller_name": story.caller_name, "caller_phone": story.caller_phone, "external_token": story.key,
                "at": story.reported_at, **place}

    def reporter(self, story: Story) -> User | None:
        if story.track == Track.HOTLINE:
            return self.officer("hotline_operator", story.region, None)
        if story.source == Source.PATROL:
            return self.officer("grid_worker", story.region, None)
        return None

    def _replay_op(self, actions, case: Case, story: Story, op: Op) -> Case:
        task = (WorkflowTask.objects.filter(instance_id=case.workflow_id, status=TaskStatus.OPEN)
                .select_related("region", "organisation").defer("region__boundary").first())
        who = (self.officer(task.role, task.region, task.organisation) if task else None) or self.actor
        if op.kind == "file":
            return actions.file_case(case, actor=who, at=op.at)
        if op.kind == "refuse":
            into = Case.objects.filter(external_token=op.merge_into).first() if op.merge_into else None
            return actions.refuse_case(case, reason=op.text, duplicate_of=into, actor=who, at=op.at)
        if op.kind == "dispatch":
            return actions.dispatch_case(case, organisation=op.unit, actor=who, at=op.at)
        if op.kind == "send_back":
            return actions.send_back(case, reason=op.text, actor=who, at=op.at)
        if op.kind == "sign":
            return actions.sign_case(case, actor=who, at=op.at)
        if op.kind == "defer":
            supervisor = self.officer("case_supervisor", case.region, None) or self.actor
            return actions.defer_case(case, reason=op.text, actor=supervisor, at=op.at)
        if op.kind == "resume":
            supervisor = self.officer("case_supervisor", case.region, None) or self.actor
            return actions.resume_deferred(case, actor=supervisor, at=op.at)
        if op.kind == "handle":
            return actions.report_handled(case, actor=who, note=op.text, at=op.at)
        if op.kind == "verify":
            return actions.verify_case(case, actor=who, passed=op.passed, note=op.text, at=op.at)
        if op.kind == "follow_up":
            return actions.follow_up(case, satisfaction=op.satisfaction, note=op.text, actor=who, at=op.at)
        raise ValueError(op.kind)


def _short(name: str) -> str:
    """任丘市 → 任丘, 孟村回族自治县 → 孟村; two-character names (沧县) stay whole."""
    if len(name) <= 2:
        return name
    for suffix in ("回族自治县", "市", "县", "区"):
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[:-len(suffix)]
    return name


def _fraction_of_year(rng: random.Random) -> float:
    """A point in [0, 1) drawn with density rising linearly by GROWTH."""
    u = rng.random()
    return ((1 + 2 * GROWTH * u * (1 + GROWTH / 2)) ** 0.5 - 1) / GROWTH


# The bulk --------------------------------------------------------------------------------------

@service_action
def store_demo_batch(world: World, stories: list[Story], *, actor) -> Counter:
    """Write a batch of stories as the actions would have left them; one audit record."""
    ledgers = [Ledger(world, story) for story in stories]
    tokens = {op.merge_into for story in stories for op in story.ops if op.merge_into}
    known = {token: (pk, number) for token, pk, number in
             Case.objects.filter(external_token__in=tokens).values_list("external_token", "pk", "number")}
    for ledger in ledgers:
        ledger.run()
    Case.objects.bulk_create([ledger.case for ledger in ledgers], batch_size=500)
    subject_type = ContentType.objects.get_for_model(Case)
    for ledger in ledgers:
        ledger.instance.subject_type, ledger.instance.subject_id = subject_type, ledger.case.pk
    WorkflowInstance.objects.bulk_create([ledger.instance for ledger in ledgers], batch_size=500)
    tasks, events, corrections = [], [], []
    for ledger in ledgers:
        case = ledger.case
        case.workflow_id = ledger.instance.pk
        local = timezone.localtime(case.reported_at, LOCAL_ZONE)
        case.number = f"{'CG' if case.track == Track.CITY else 'RX'}{local:%Y%m%d}{case.pk:07d}"
        known[ledger.story.key] = (case.pk, case.number)
        if ledger.merge_into:
            case.duplicate_of_id, into = known[ledger.merge_into]
            ledger.events[-1].params["into"] = into
        for task in ledger.tasks:
            task.instance_id = ledger.instance.pk
        for row in (*ledger.events, *ledger.corrections):
            row.case_id = case.pk
        tasks += ledger.tasks
        events += ledger.events
        corrections += ledger.corrections
    with connection.cursor() as cursor:  # one plain UPDATE per row: bulk_update's CASE over 1,000 rows is slower
        cursor.executemany(f"UPDATE {Case._meta.db_table} SET number = %s, workflow_id = %s, duplicate_of_id = %s WHERE id = %s",
                           [(ledger.case.number, ledger.case.workflow_id, ledger.case.duplicate_of_id, ledger.case.pk)
                            for ledger in ledgers])
    WorkflowTask.objects.bulk_create(tasks, batch_size=1000)
    CaseEvent.objects.bulk_create(events, batch_size=1000)
    DispatchCorrection.objects.bulk_create(corrections, batch_size=1000)
    statuses = Counter(str(ledger.case.status) for ledger in ledgers)
    record(actor=actor, action="cases.demo.cases", target_type="cases.case",
           after={"count": len(ledgers), "first": ledgers[0].case.number, "last": ledgers[-1].case.number,
                  "statuses": dict(sorted(statuses.items())), "tasks": len(tasks), "events": len(events),
                  "corrections": len(corrections)})
    return statuses


class Ledger:
    """What the actions would have written for one story, worked out in memory (cases.actions and
    workflows.actions in miniature: the same statuses, clocks, task rows and timeline)."""

    def __init__(self, world: World, story: Story):
        self.world, self.story, self.calendar = world, story, world.calendar
        self.process = process_of(story.case_class, story.urgent, story.track)
        self.tasks: list[WorkflowTask] = []
        self.events: list[CaseEvent] = []
        self.corrections: list[DispatchCorrection] = []
        self.merge_into = ""

    def run(self) -> None:
        for op in self.story.ops:
            getattr(self, f"_{op.kind}")(op)
        self._cards()

    # The operations -------------------------------------------------------------------------

    def _report(self, op: Op) -> None:
        story, world = self.story, self.world
        reporter = world.reporter(story)
        case = Case(track=story.track, source=story.source, appeal_type=story.appeal_type, case_class=story.case_class,
                    description=story.text, address=story.address[:200], lng=story.lng, lat=story.lat,
                    region=story.region, county=story.county, township=story.township, grid=story.grid,
                    status=Status.REPORTED if story.track == Track.CITY else Status.ACCEPTED,
                    urgency=story.case_class.urgency, reporter=reporter, external_token=story.key,
                    suggestion=story.suggestion, reported_at=op.at)
        if story.caller_name:
            case.caller_name_masked = _mask_name(story.caller_name)
        if story.caller_phone:
            case.caller_phone_cipher, case.caller_phone_index = encrypt(story.caller_phone), blind_index(story.caller_phone)
            case.caller_phone_masked = validators.mask_phone(story.caller_phone)
        self.case = case
        department = story.case_class.department or COMMAND_FUNCTION
        self.instance = WorkflowInstance(declaration=self.process.declaration(), region=story.region,
                                         department=department, organisation=world.unit(department, story.region),
                                         started_at=op.at)
        self._enter(self.process.stages[0], op.at)
        self._event("reported", op.at, reporter, source=story.source)

    def _file(self, op: Op) -> None:
        who = self._complete(FILE, op.at)
        self.case.status, self.case.filed_at = Status.FILED, op.at
        self._event("filed", op.at, who, case_class=self.case.case_class.name)

    def _refuse(self, op: Op) -> None:
        who = self._complete(FILE if self.case.track == Track.CITY else ROUTE, op.at, outcome="deny", comment=op.text)
        self._finish(op.at, "denied")
        case = self.case
        case.status = Status.MERGED if op.merge_into else Status.INVALID
        case.reason, case.closed_at, self.merge_into = op.text[:400], op.at, op.merge_into
        # The number of the case it is merged into is known once the batch is numbered.
        self._event("merged" if op.merge_into else "refused", op.at, who, reason=case.reason, into="")

    def _dispatch(self, op: Op) -> None:
        case, instance, unit = self.case, self.instance, op.unit
        top = (case.suggestion or {}).get("top") or []
        suggested = top[0]["class_code"] if top else ""
        if case.case_class and case.case_class.code != suggested and case.case_class.model_label:
            self.corrections.append(DispatchCorrection(text=case.description, suggested=suggested,
                                                       chosen=case.case_class.model_label))
        instance.organisation, instance.department = unit, unit.function or instance.department
        who = self._complete(DISPATCH if case.track == Track.CITY else ROUTE, op.at)
        case.organisation, case.dispatched_at, case.status = unit, op.at, Status.DISPATCHED
        case.dispatch_count += 1
        if case.track == Track.HOTLINE:
            case.status, case.due_at = Status.HANDLING, self._handle_due()
        self._event("dispatched", op.at, who, unit=unit.name)

    def _send_back(self, op: Op) -> None:
        case = self.case
        who = self._complete(SIGN if case.track == Track.CITY else HANDLE, op.at, outcome="return", comment=op.text)
        self._cancel_open(op.at)
        self._enter(self.process.previous_stage(SIGN if case.track == Track.CITY else HANDLE), op.at)
        case.status = Status.FILED if case.track == Track.CITY else Status.ACCEPTED
        case.reason, case.organisation = op.text[:400], None
        case.sendback_count += 1
        case.first_dispatch_correct = False
        self._event("sent_back", op.at, who, reason=case.reason)

    def _sign(self, op: Op) -> None:
        case = self.case
        who = self._complete(SIGN, op.at)
        case.status, case.signed_at = Status.HANDLING, op.at
        case.due_at = self._handle_due()
        if case.first_dispatch_correct is None:
            case.first_dispatch_correct = case.sendback_count == 0
        self._event("signed", op.at, who)

    def _defer(self, op: Op) -> None:
        who = self.world.officer("case_supervisor", self.case.region, None)
        self.instance.status, self.instance.paused_since = InstanceStatus.PAUSED, op.at
        self.case.status, self.case.deferred_reason = Status.DEFERRED, op.text[:200]
        self._event("deferred", op.at, who, reason=self.case.deferred_reason)

    def _resume(self, op: Op) -> None:
        who = self.world.officer("case_supervisor", self.case.region, None)
        paused = self.calendar.elapsed_days(self.instance.paused_since, op.at)
        self.instance.status, self.instance.paused_since = InstanceStatus.RUNNING, None
        self.instance.paused_days += paused
        for task in self.tasks:
            if task.status == TaskStatus.OPEN:
                task.paused_days += paused
                _set_task_clock(task, self.calendar)
        self.case.status, self.case.due_at = Status.HANDLING, self._handle_due()
        self._event("resumed", op.at, who)

    def _handle(self, op: Op) -> None:
        case = self.case
        who = self._complete(HANDLE, op.at, comment=op.text)
        case.status, case.handled_at = (Status.HANDLED if case.track == Track.CITY else Status.REPLIED), op.at
        self._event("handled" if case.track == Track.CITY else "replied", op.at, who, note=op.text)

    def _verify(self, op: Op) -> None:
        case = self.case
        case.verified_count += 1
        if op.passed:
            who = self._complete(VERIFY, op.at, comment=op.text)
            self._close(op.at)
            self._event("verified", op.at, who, note=op.text)
            return
        who = self._actor_of(self._open(VERIFY))
        self._cancel_open(op.at)
        self._enter(self.process.stage(HANDLE), op.at)
        case.status, case.rework_count = Status.HANDLING, case.rework_count + 1
        self._event("rework", op.at, who, note=op.text)

    def _follow_up(self, op: Op) -> None:
        who = self._complete(FOLLOW_UP, op.at, comment=op.text)
        self.case.satisfaction = op.satisfaction
        self._close(op.at)
        self._event("followed_up", op.at, who, satisfaction=str(Satisfaction(op.satisfaction).label), note=op.text)

    # The mechanics ------------------------------------------------------------------------------

    def _open(self, stage_key: str) -> WorkflowTask:
        return next(t for t in self.tasks if t.status == TaskStatus.OPEN and t.stage_key == stage_key)

    def _actor_of(self, task: WorkflowTask) -> User | None:
        return self.world.officer(task.role, task.region, task.organisation)

    def _complete(self, stage_key: str, at, outcome: str = "approve", comment: str = "") -> User | None:
        """complete_task: the task done by whoever may act on it; deny finishes, approve enters the next stage."""
        task = self._open(stage_key)
        who = self._actor_of(task)
        task.status, task.outcome, task.comment, task.completed_at, task.completed_by = (
            TaskStatus.DONE, outcome, comment.strip(), at, who)
        task.version += 1
        if outcome == "approve":
            following = self.process.next_stage(stage_key)
            if following is None:
                self._finish(at, "approved")
            else:
                self._enter(following, at)
        return who

    def _enter(self, stage, at) -> None:
        self.instance.stage_key = stage.key
        for step in stage.steps:
            organisation = self.instance.organisation
            if step.department and step.department != self.instance.department:
                organisation = self.world.unit(step.department, self.instance.region)
            if step.role in engine.PLACE_ROLES:
                organisation = None
            task = WorkflowTask(stage_key=stage.key, step_key=step.key, name=step.name, role=step.role,
                                region=self.story.region, organisation=organisation, opened_at=at, limit_days=step.days,
                                limit_hours=step.hours, limit_clock_hours=step.clock_hours, version=0)
            _set_task_clock(task, self.calendar)
            self.tasks.append(task)

    def _cancel_open(self, at) -> None:
        for task in self.tasks:
            if task.status == TaskStatus.OPEN:
                task.status, task.completed_at = TaskStatus.CANCELLED, at
                task.version += 1

    def _finish(self, at, outcome: str) -> None:
        self._cancel_open(at)
        self.instance.status, self.instance.outcome, self.instance.finished_at = InstanceStatus.FINISHED, outcome, at

    def _handle_due(self):
        task = next((t for t in self.tasks if t.stage_key == HANDLE and t.status == TaskStatus.OPEN), None)
        return task.due_at if task is not None else self.case.due_at

    def _close(self, at) -> None:
        case = self.case
        case.status, case.closed_at = Status.CLOSED, at
        case.on_time = case.due_at is None or (case.handled_at or at) <= case.due_at

    def _event(self, kind: str, at, who, **params) -> None:
        label = (getattr(who, "display_name", "") or getattr(who, "username", "")) if who else str(self.world.actor)
        self.events.append(CaseEvent(kind=kind, at=at, actor=who, actor_label=label[:100], params=params, public=True))

    def _cards(self) -> None:
        """The cards the deadline job raised while a task ran, and would raise now on the open ones."""
        now = self.world.now
        for task in self.tasks:
            if task.status == TaskStatus.CANCELLED:
                continue
            ended = task.completed_at or (now if self.instance.status == InstanceStatus.RUNNING else None)
            task.warning = _card(task, ended)


def _set_task_clock(task: WorkflowTask, calendar) -> None:
    """workflows.actions._set_task_clock with the calendar held: that one asks working_calendar(), a cache
    read, for every task (0.2 ms each, 6 s for the demo's 30,000 tasks). The demo test checks that the
    bulk's clocks equal the actions'."""
    if task.limit_clock_hours:
        paused = timedelta(days=task.paused_days)
        task.due_at = task.opened_at + timedelta(hours=task.limit_clock_hours) + paused
        task.yellow_at = task.opened_at + timedelta(hours=task.limit_clock_hours * engine.YELLOW_FRACTION) + paused
    elif task.limit_hours:
        task.due_at = calendar.add_working_hours(task.opened_at, task.limit_hours)
        task.yellow_at = calendar.add_working_hours(task.opened_at, task.limit_hours * engine.YELLOW_FRACTION)
    elif task.limit_days is not None:
        task.due_at = calendar.deadline(task.opened_at, task.limit_days + task.paused_days)
        task.yellow_at = calendar.point_within(task.opened_at, task.limit_days, engine.YELLOW_FRACTION, task.paused_days)
    task.warning = Card.NONE


def _card(task, ended) -> int:
    if ended is None or task.due_at is None:
        return Card.NONE
    if ended > task.due_at:
        return Card.RED
    if task.yellow_at is not None and ended > task.yellow_at:
        return Card.YELLOW
    return Card.NONE


def _mask_name(name: str) -> str:
    """As report_case masks a caller's name (王小红 → 王*红)."""
    from .actions.reporting import _mask_name as mask

    return mask(name)
