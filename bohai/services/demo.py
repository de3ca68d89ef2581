"""Demo applications: a year of the service office's work, so that the lists, the officers' queues
and the dashboards are alive on first start.

What `bohai demo` gets (seed 2026):
  - 6,000 applications submitted over the 365 days before today, more in recent months, across the
    catalogue's items (a few popular ones, a long tail), handled in every county and at the city;
  - every state: most completed, some rejected, denied, withdrawn; the recent ones still submitted,
    awaiting a supplement, in review at each step, approved, licensed; some stuck past their limit
    (red cards) and some past two thirds of it (yellow cards);
  - an online handling rate rising from about 85 % to 94 % over the year, about 95 % on time;
  - 好差评 for most completed applications (mostly 非常满意 and 满意), a few bad ones with their
    rectifications open, overdue, answered and closed;
  - applications of the demo accounts "resident" and "agent" in several states (one awaiting a
    supplement, one completed with a licence), work in the queues of "clerk" (运河区's window) and
    "dept_head" (沧州市民政局, from a few organisations registered at the city), and the role
    service_officer for the staff account of every unit whose department has catalogue items.

How
  Each application is a *story*: what happens to it (submitted, each task done, a supplement asked for
  and answered, withdrawn, reviewed, the rectification answered and closed), drawn from the seed
  and cut at the present moment. The historical bulk is written as the actions would have left it
  (application, workflow instance and tasks with their clocks, timeline, materials, review,
  rectification), in batches of 1,000 with one audit record each (`store_demo_batch`); the most
  recent few hundred and the demo accounts' stories are replayed through the real actions with
  `at=` timestamps. The bulk issues no licences (signing is what is slow): its licence items end as
  when no licence type is configured. Finally the deadline job's `raise_warnings` raises the cards
  (and tells the officers, as it will every minute once `bohai serve` runs).

Idempotent: every demo application carries the idempotency key `demo:<seed>:<n>`; a story whose key
exists is skipped, so a second run adds nothing and an interrupted one resumes.
"""
import functools
import logging
import itertools
import random
from bisect import bisect
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from io import BytesIO

from django.contrib.auth.hashers import make_password
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from bohai.engines.workdays.clock import LOCAL_ZONE, local_date, working_calendar
from bohai.engines.workflows import actions as engine
from bohai.engines.workflows.models import InstanceStatus, TaskStatus, WorkflowInstance, WorkflowTask
from bohai.engines.workflows.models import Warning as Card
from bohai.kernel.accounts.models import AccountKind, RoleAssignment, User
from bohai.kernel.audit.recording import record
from bohai.kernel.audit.service import Conflict, service_action
from bohai.kernel.identities import validators
from bohai.kernel.identities.models import EntityType, LegalEntity, Person
from bohai.kernel.organisations.models import Organisation, OrganisationKind
from bohai.kernel.regions.models import Level, Region

from .models import (
    Application, ApplicationEvent, ApplicationMaterial, Channel, EventKind, ItemMaterial, MaterialRequirement, Rating,
    Rectification, RectificationStatus, REVIEW_DIMENSIONS, Review, ServiceItem, Status, TrustLevel,
)
from .processes import ACCEPT_STAGE, ISSUE_STAGE, decision_stage, process_for

ACTOR = "system:demo"
logger = logging.getLogger("bohai.services.demo")
APPLICATIONS = 6000
REPLAYED = 300               # the most recent stories go through the real actions
BATCH = 1000
PERSON_POOL, ENTITY_POOL = 2500, 800
DAYS = 365
GROWTH = 0.8                 # the last day sees 1.8 times the first day's submissions
ONLINE_FROM, ONLINE_TO = 0.85, 0.94
REJECT, WITHDRAW, DENY, SUPPLEMENT, UNANSWERED, LATE, STUCK, REVIEWED = (
    0.035, 0.02, 0.025, 0.09, 0.15, 0.08, 0.004, 0.82)
UNANSWERED_REVIEW = 0.1      # bad reviews whose rectification is never answered (overdue once 15 working days pass)
RATINGS = ((5, 78.0), (4, 15.0), (3, 4.5), (2, 1.7), (1, 0.8))
OFFICER_ROLE = "service_officer"
PLACE_ROLES = getattr(engine, "PLACE_ROLES", {"window_clerk"})  # roles whose tasks name no unit
CITY_ENTITIES = (  # organisations registered at the city: what the city's own units handle
    ("52", "MA0YK8A1", "沧州市颐康养老服务中心", "张秀兰"), ("52", "MA0YK8B2", "沧州市福寿园老年公寓", "刘建国"),
    ("52", "MA0YK8C3", "沧州市仁和护理院", "王志强"), ("12", "4000012X", "沧州市社会福利院", "李桂英"),
    ("91", "MA0YK8D4", "沧州渤海港务集团有限公司", "赵海涛"), ("91", "MA0YK8E5", "沧州市城市建设投资集团有限公司", "陈明"),
    ("91", "MA0YK8F6", "沧州明珠商贸有限公司", "孙丽"), ("91", "MA0YK8G7", "沧州市公共交通有限公司", "周勇"),
)
REJECT_REASONS = ("申请事项不属于本机关职权范围", "申请人不具备申请资格", "申请材料存在虚假内容，不予受理")
DENY_REASONS = ("经审查，不符合法定条件", "现场核查不符合要求", "申请人未能提供符合要求的证明材料")
WITHDRAW_REASONS = ("申请人主动撤回", "信息填报有误，撤回后重新申请", "情况发生变化，暂不办理")
LAPSED = "逾期未补正，视为撤回"
SUPPLEMENTS = (("身份证明复印件不清晰，请重新上传",), ("申请表缺少申请人签字", "请补充近三个月的相关证明"),
               ("场所平面图未标注尺寸",), ("委托书未加盖公章", "请补充法定代表人身份证明"))
GOOD_COMMENTS = ("办事效率高，一次办好", "窗口工作人员热情耐心", "网上办理很方便，不用跑腿", "", "", "")
BAD_COMMENTS = ("材料要求前后不一致，跑了两趟", "等待时间太长，进度不透明", "电话一直打不通，咨询无人回复", "工作人员态度生硬")
RESPONSES = ("已约谈窗口人员，统一一次性告知清单并电话回访申请人。", "已优化审批流程，压缩内部流转时间，向申请人致歉说明。",
             "已开通咨询专线并安排专人答复，回访申请人表示认可。")


# Entry point ---------------------------------------------------------------------------------

def generate_demo_applications(*, actor=ACTOR, seed: int, count: int = APPLICATIONS, replayed: int = REPLAYED,
                               now: datetime | None = None) -> dict:
    """Generate what is missing; returns counts (zeros on a second run)."""
    now = now or timezone.now()
    items = list(ServiceItem.objects.filter(active=True).order_by("code"))
    if not items or not Person.objects.exists():
        return {"skipped": "no catalogue or no demo persons"}
    granted = grant_officer_roles(actor=actor)
    city_entities = ensure_city_entities(actor=actor)
    world = World.build(seed, items, city_entities, now, actor)
    known = set(Application.objects.filter(idempotency_key__startswith=f"demo:{seed}:")
                .values_list("idempotency_key", flat=True))
    planned = sum(1 for key in known if key[len(f"demo:{seed}:"):].isdigit())
    specs = (world.plan(count) if planned < count else []) + world.showcases()
    fresh = [spec for spec in specs if spec.key not in known]
    replay = set(spec.key for spec in world.to_replay(fresh, replayed))
    bulk = [spec for spec in fresh if spec.key not in replay]
    world.ensure_accounts([*bulk, *(s for s in fresh if s.key in replay)], actor)
    statuses: Counter = Counter()
    for start in range(0, len(bulk), BATCH):
        statuses.update(store_demo_batch(world, bulk[start:start + BATCH], actor=actor))
    failed = 0
    for spec in fresh:
        if spec.key in replay:
            status = world.replay(spec)
            failed += status is None
            statuses[str(status or "failed")] += 1
    cards = raise_cards(actor=actor, now=now) if fresh else {}
    return {"applications": len(fresh), "bulk": len(bulk), "through_actions": len(replay), "failed": failed,
            "roles_granted": granted, "statuses": dict(sorted(statuses.items())), "cards": cards}


def raise_cards(*, actor, now: datetime) -> dict:
    """The deadline job's own pass (workflows.deadlines.raise_warnings), repeated until nothing is left:
    the yellow and red cards on the open tasks and processes, and the officers' notifications."""
    from bohai.engines.workflows.deadlines import raise_warnings

    totals: Counter = Counter()
    for _round in range(50):  # the job takes 500 per level and pass
        counts = raise_warnings(actor=actor, now=now)
        totals.update(counts)
        if not any(counts.values()):
            break
    return dict(totals)


# Roles and applicants -------------------------------------------------------------------------

def grant_officer_roles(*, actor) -> int:
    """service_officer, within their unit, for the staff account of each unit whose department
    (or a parallel step's department) has catalogue items."""
    from bohai.kernel.accounts.actions import assign_role
    from bohai.kernel.demo.accounts import unit_username

    functions = set(ServiceItem.objects.values_list("department", flat=True))
    for item in ServiceItem.objects.exclude(workflow=None).only("workflow"):
        functions |= {step.department for stage in process_for(item).stages for step in stage.steps if step.department}
    units = list(Organisation.objects.filter(function__in=functions).exclude(kind=OrganisationKind.TOWNSHIP_OFFICE)
                 .select_related("region").defer("region__boundary"))
    users = {u.username: u for u in User.objects.filter(username__in=[unit_username(u) for u in units],
                                                         kind=AccountKind.STAFF)}
    held = set(RoleAssignment.objects.filter(role__code=OFFICER_ROLE, user__in=users.values())
               .values_list("user_id", "organisation_id"))
    granted = 0
    for unit in units:
        user = users.get(unit_username(unit))
        if user is not None and (user.pk, unit.pk) not in held:
            assign_role(user, actor=actor, role_code=OFFICER_ROLE, region=unit.region, organisation=unit)
            granted += 1
    return granted


def ensure_city_entities(*, actor) -> list[LegalEntity]:
    """A few organisations registered at the city itself (their applications go to the city's units)."""
    from django.conf import settings

    from bohai.kernel.identities.actions import register_legal_entity

    city = Region.objects.filter(key=settings.BOHAI_CITY_CODE).first()
    if city is None:
        return []
    codes = [validators.make_credit_code(kind, city.code or settings.BOHAI_CITY_CODE, body)
             for kind, body, _name, _head in CITY_ENTITIES]
    found = {e.credit_code: e for e in LegalEntity.objects.filter(credit_code__in=codes)}
    for code, (_kind, _body, name, head) in zip(codes, CITY_ENTITIES):
        if code not in found:
            found[code] = register_legal_entity(actor=actor, credit_code=code, name=name, legal_representative=head,
                                                address=f"河北省沧州市运河区{name[3:5]}路{len(name) * 7}号", region=city.key,
                                                phone=f"1873170{len(name):02d}{codes.index(code):02d}")
    return [found[code] for code in codes]


# Stories ---------------------------------------------------------------------------------------

@dataclass
class Op:
    kind: str                 # submit, complete, ask, supplement, withdraw, review, answer, close
    at: datetime
    stage: str = ""
    step: str = ""
    outcome: str = ""
    text: str = ""
    items: tuple = ()
    rating: int = 0


@dataclass
class Spec:
    key: str
    item: ServiceItem
    person: Person | None
    entity: LegalEntity | None
    channel: str
    submitted_at: datetime
    region: Region
    organisation: Organisation | None
    ops: list[Op] = field(default_factory=list)
    form: dict = field(default_factory=dict)
    seed: str = ""
    showcase: bool = False

    @property
    def applicant(self):
        return self.person or self.entity


@dataclass
class Plot:
    """What will happen to one application (drawn per story)."""

    reject: bool = False
    withdraw_at: int | None = None   # the stage during which the applicant withdraws
    deny: bool = False
    supplement: bool = False
    unanswered: bool = False
    late: bool = False
    stuck: bool = False
    fast: bool = False
    rating: int | None = None        # force a review with this rating
    answer: bool = True              # answer a bad review's rectification


def draw_plot(rng: random.Random) -> Plot:
    u = rng.random()
    plot = Plot(reject=u < REJECT, deny=REJECT <= u < REJECT + DENY,
                withdraw_at=-1 if REJECT + DENY <= u < REJECT + DENY + WITHDRAW else None)
    plot.supplement = not plot.reject and rng.random() < SUPPLEMENT
    plot.unanswered = plot.supplement and rng.random() < UNANSWERED
    plot.late, plot.stuck = rng.random() < LATE, rng.random() < STUCK
    return plot


def tell(rng: random.Random, process, submitted_at: datetime, plot: Plot) -> list[Op]:
    """Every operation of the story, in time order (the caller cuts it at the present)."""
    calendar = working_calendar()
    ops, t = [Op("submit", submitted_at)], submitted_at
    stages = process.stages
    deciding = decision_stage(process)
    withdraw_at = plot.withdraw_at
    if withdraw_at == -1:
        withdraw_at = rng.randrange(0, [s.key for s in stages].index(deciding) + 1)
    late_stage = max(range(len(stages)), key=lambda i: (stages[i].days, -i)) if plot.late else None
    for position, stage in enumerate(stages):
        if position == 0 and plot.supplement:
            asked = _moment(rng, calendar, t, 0 if plot.fast else rng.randint(0, 1))
            ops.append(Op("ask", asked, items=SUPPLEMENTS[rng.randrange(len(SUPPLEMENTS))]))
            if plot.unanswered:
                if withdraw_at is None and not plot.fast:
                    ops.append(Op("withdraw", _moment(rng, calendar, asked, 20), text=LAPSED))
                return ops
            t = _moment(rng, calendar, asked, rng.randint(1, 5))
            ops.append(Op("supplement", t, text="已按要求补正"))
        if withdraw_at == position:
            ops.append(Op("withdraw", _moment(rng, calendar, t, rng.randint(0, max(0, stage.days - 1))),
                          text=WITHDRAW_REASONS[rng.randrange(len(WITHDRAW_REASONS))]))
            return ops
        if plot.stuck and position == 1:
            return ops  # nobody acts: the application runs past its limit
        refuse = (plot.reject and position == 0) or (plot.deny and stage.key == deciding)
        finished = t
        for step in stage.steps:
            used = _used(rng, step, late=position == late_stage, fast=plot.fast)
            done = _moment(rng, calendar, t, used)
            if refuse:
                reasons = REJECT_REASONS if position == 0 else DENY_REASONS
                ops.append(Op("complete", done, stage.key, step.key, "deny", reasons[rng.randrange(len(reasons))]))
                return ops + _review(rng, done, plot, bad_odds=0.3)
            ops.append(Op("complete", done, stage.key, step.key, "approve"))
            finished = max(finished, done)
        t = finished
    return ops + _review(rng, t, plot)


def _review(rng: random.Random, done: datetime, plot: Plot, bad_odds: float = 0.0) -> list[Op]:
    if plot.rating is None and rng.random() >= (REVIEWED if not bad_odds else 0.25):
        return []
    rating = plot.rating or _rating(rng, bad_odds)
    at = done + timedelta(hours=rng.randint(1, 72), minutes=rng.randint(0, 59))
    comments = BAD_COMMENTS if rating <= 2 else GOOD_COMMENTS
    ops = [Op("review", at, rating=rating, text=comments[rng.randrange(len(comments))])]
    if rating <= 2 and plot.answer and (plot.rating is not None or rng.random() >= UNANSWERED_REVIEW):
        calendar = working_calendar()
        late = rng.random() < 0.12
        answered = _moment(rng, calendar, at, rng.randint(16, 22) if late else rng.randint(2, 13))
        ops.append(Op("answer", answered, text=RESPONSES[rng.randrange(len(RESPONSES))]))
        ops.append(Op("close", _moment(rng, calendar, answered, rng.randint(1, 3))))
    return ops


def _rating(rng: random.Random, bad_odds: float) -> int:
    if bad_odds and rng.random() < bad_odds:
        return rng.choice((1, 2, 2, 3))
    weights = list(itertools.accumulate(weight for _value, weight in RATINGS))
    return RATINGS[bisect(weights, rng.random() * weights[-1])][0]


def _used(rng: random.Random, step, *, late: bool, fast: bool) -> int:
    """Working days a step takes: mostly well within its limit; a late story overruns one stage."""
    days = step.days or 0
    if fast:
        return min(days, 1)
    if late:
        return days + rng.randint(1, max(2, days // 3 + 1))
    if days == 0:
        return 0
    return min(days, int(days * rng.betavariate(1.5, 3.0) + 0.5))


def _moment(rng: random.Random, calendar, start: datetime, days: int) -> datetime:
    """A moment in office hours `days` working days after `start` (later the same day for 0)."""
    local = start.astimezone(LOCAL_ZONE)
    day = calendar.nth_working_day_after(local.date(), days)
    if day == local.date():
        closing = datetime.combine(day, time(17, 20), tzinfo=LOCAL_ZONE)
        if calendar.is_working_day(day) and local < closing - timedelta(minutes=5):
            opening = max(local, datetime.combine(day, time(8, 40), tzinfo=LOCAL_ZONE))
            span = int(min((closing - opening).total_seconds(), 3 * 3600))
            return opening + timedelta(seconds=rng.randint(300, max(300, span)))
        day = calendar.nth_working_day_after(day, 1)
    seconds = rng.randint(8 * 3600 + 40 * 60, 17 * 3600 + 20 * 60)
    return datetime.combine(day, time.min, tzinfo=LOCAL_ZONE) + timedelta(seconds=seconds)


def cut(ops: list[Op], now: datetime, *, before_stage: str = "", after: str = "") -> list[Op]:
    """The story up to now; `before_stage`: nothing of that stage or later; `after`: nothing past the first op of that kind."""
    kept = []
    for op in sorted(ops, key=lambda op: op.at):
        if op.at > now or (before_stage and op.kind == "complete" and op.stage == before_stage):
            break
        kept.append(op)
        if after and op.kind == after:
            break
    return kept


# The world: items, applicants, accounts, who acts -------------------------------------------------

class World:
    def __init__(self, seed: int, items: list[ServiceItem], now: datetime, actor):
        self.seed, self.items, self.now, self.actor = seed, items, now, actor
        self.calendar = working_calendar()
        self.processes = {item.pk: process_for(item) for item in items}
        self._regions: dict = {}
        self._units: dict = {}
        self.accounts: dict = {}       # ("p", person pk) / ("e", entity pk) → User
        self.windows: dict = {}        # region pk → the staff account taking window submissions there
        self.officers: list = []       # (role, region path, organisation path, user)
        self.city_entities: list[LegalEntity] = []
        self.agents: dict = {}         # entity pk → the person acting for it
        self._officer_cache: dict = {}
        self.stored_file = None
        self.license_types: dict = {}

    @classmethod
    def build(cls, seed: int, items, city_entities, now, actor) -> "World":
        from bohai.licenses.models import LicenseType

        world = cls(seed, items, now, actor)
        world.city_entities = city_entities
        agents_of = User.objects.filter(kind=AccountKind.ENTERPRISE_AGENT).exclude(username__startswith="demo-")
        entities = list(LegalEntity.objects.filter(entity_type__in=(EntityType.ENTERPRISE, EntityType.INDIVIDUAL_BUSINESS,
                                                                     EntityType.COOPERATIVE, EntityType.SOCIAL_ORGANISATION))
                        .exclude(pk__in=agents_of.values("legal_entity_id")).exclude(pk__in=[e.pk for e in city_entities])
                        .select_related("region").defer("region__boundary").order_by("id")[:ENTITY_POOL])
        # One account per person: the persons who act for organisations are not applicants themselves.
        taken = User.objects.exclude(username__startswith="demo-").exclude(person=None).values("person_id")
        represented = [*city_entities, *entities]
        candidates = list(Person.objects.exclude(pk__in=taken).select_related("region").defer("region__boundary")
                          .order_by("id")[:PERSON_POOL + len(represented)])
        agents = candidates[len(candidates) // 2:][-len(represented):] if represented else []
        world.persons = candidates[:len(candidates) - len(agents)]
        world.agents = {entity.pk: person for entity, person in zip(represented, agents)}
        world.entities = [entity for entity in entities if entity.pk in world.agents]
        world.city_entities = [entity for entity in city_entities if entity.pk in world.agents]
        world.license_types = {t.code: t for t in LicenseType.objects.all()}
        world._load_staff()
        world._load_places()
        world.materials = {}
        for material in ItemMaterial.objects.filter(item__in=items).order_by("item", "position"):
            world.materials.setdefault(material.item_id, []).append(material)
        return world

    # Who acts --------------------------------------------------------------------------------

    def _load_staff(self) -> None:
        assignments = (RoleAssignment.objects.filter(role__code__in=("window_clerk", OFFICER_ROLE, "department_head"),
                                                     user__is_active=True, user__kind=AccountKind.STAFF)
                       .select_related("role", "region", "organisation", "user").defer("region__boundary")
                       .order_by("user__username"))
        for a in assignments:
            self.officers.append((a.role.code, a.region.path, a.organisation.path if a.organisation_id else None, a.user))
        self._approval_staff = {u.organisation.region_id: u for u in User.objects.filter(
            kind=AccountKind.STAFF, organisation__function="administrative_approval",
            username__endswith="-administrative_approval").select_related("organisation")}

    def officer(self, role: str, region: Region, organisation: Organisation | None) -> User | None:
        """A demo staff account that may act on a task of this role, place and unit (None: the system acts)."""
        key = (role, region.pk, organisation.pk if organisation else None)
        if key not in self._officer_cache:
            self._officer_cache[key] = self._find_officer(role, region, organisation)
        return self._officer_cache[key]

    def _find_officer(self, role: str, region: Region, organisation: Organisation | None) -> User | None:
        for code, region_path, organisation_path, user in self.officers:
            if code != role or not region.path.startswith(region_path):
                continue
            if organisation_path is None or (organisation is not None and organisation.path.startswith(organisation_path)):
                return user
        return None

    def window(self, region: Region) -> User:
        """Who takes window submissions: the region's window clerk, else its approval bureau's staff."""
        if region.pk not in self.windows:
            user = self.officer("window_clerk", region, None)
            if user is None:
                keys = region.path.strip("/").split("/")[::-1]
                by_key = {r.key: r.pk for r in Region.objects.filter(key__in=keys).only("key")}
                user = next((self._approval_staff[by_key[k]] for k in keys if by_key.get(k) in self._approval_staff), None)
            if user is None:
                user = User.objects.filter(kind=AccountKind.STAFF).order_by("id").first()
            self.windows[region.pk] = user
        return self.windows[region.pk]

    def account_of(self, spec: Spec) -> User:
        return self.accounts[("p", spec.person.pk) if spec.person else ("e", spec.entity.pk)]

    def submitter(self, spec: Spec) -> User:
        return self.window(spec.region) if spec.channel == Channel.WINDOW else self.account_of(spec)

    # Where ------------------------------------------------------------------------------------

    def _load_places(self) -> None:
        # Region.boundary is large (the city's is 120 kB of GeoJSON): never load it here.
        self.region_by_key = {r.key: r for r in Region.objects.defer("boundary").order_by("path")}
        self.units_by = {}
        for unit in Organisation.objects.select_related("region").defer("region__boundary").order_by("path"):
            self.units_by[(unit.function, unit.region.key)] = unit

    def place(self, item: ServiceItem, applicant) -> tuple[Region, Organisation | None]:
        """Where the application is handled and by which unit: processes.handling_region and
        organisations.directory.counterpart, answered from this plan's own map."""
        key = ("county" in item.levels, applicant.region_id)
        if key not in self._regions:
            self._regions[key] = self._handling_region("county" in item.levels, applicant.region)
        region = self._regions[key]
        return region, self.unit(item.department, region)

    def _handling_region(self, county_level: bool, applicant_region: Region) -> Region:
        ancestors = {}
        for key in applicant_region.path.strip("/").split("/"):
            if key in self.region_by_key:
                ancestors[self.region_by_key[key].level] = self.region_by_key[key]
        if county_level:
            local = ancestors.get(Level.COUNTY) or ancestors.get(Level.ZONE)
            if local is not None:
                return local
        return ancestors.get(Level.CITY) or applicant_region

    def unit(self, function: str, region: Region) -> Organisation | None:
        if (function, region.pk) not in self._units:
            keys = region.path.strip("/").split("/")[::-1]
            self._units[(function, region.pk)] = next(
                (self.units_by[(function, k)] for k in keys if (function, k) in self.units_by), None)
        return self._units[(function, region.pk)]

    # The plan -----------------------------------------------------------------------------------

    def plan(self, count: int) -> list[Spec]:
        """`count` stories submitted over the last DAYS days, oldest first."""
        rng = random.Random(self.seed)
        order = list(self.items)
        rng.shuffle(order)
        weights = list(itertools.accumulate(1 / (rank + 1) ** 0.7 for rank in range(len(order))))
        capable = sum(w for item, w in zip(order, _increments(weights)) if item.handled_online) / weights[-1]
        start = self.now - timedelta(days=DAYS)
        specs = []
        for index in range(count):
            story_rng = random.Random(f"{self.seed}:{index}")
            item = order[bisect(weights, story_rng.random() * weights[-1])]
            spec = self._spec(f"demo:{self.seed}:{index:05d}", item, story_rng, start, capable)
            if spec is not None:
                specs.append(spec)
        return sorted(specs, key=lambda spec: spec.submitted_at)

    def _spec(self, key: str, item: ServiceItem, rng: random.Random, start: datetime, capable: float) -> Spec | None:
        person, entity = self._applicant(item, rng)
        if person is None and entity is None:
            return None
        share = _fraction_of_year(rng)
        target = ONLINE_FROM + (ONLINE_TO - ONLINE_FROM) * share
        if item.handled_online:
            channel = Channel.ONLINE if rng.random() < min(0.995, target / max(capable, 0.01)) else Channel.WINDOW
        else:
            channel = Channel.ONLINE if item.online_depth >= 2 and rng.random() < 0.4 else Channel.WINDOW
        submitted_at = self._submission_time(rng, start + timedelta(days=share * DAYS), item, channel)
        region, unit = self.place(item, person or entity)
        spec = Spec(key, item, person, entity, channel, submitted_at, region, unit, seed=key)
        spec.ops = cut(tell(rng, self.processes[item.pk], submitted_at, draw_plot(rng)), self.now)
        spec.form = form_values(item, person, entity, self.agent_for(entity), rng)
        return spec

    def _applicant(self, item: ServiceItem, rng: random.Random):
        kinds = item.applicant_kinds or ["person"]
        as_person = "person" in kinds and ("entity" not in kinds or rng.random() < 0.7)
        if as_person:
            return (self.persons[rng.randrange(len(self.persons))], None) if self.persons else (None, None)
        pool = self.entities
        if self.city_entities and (not pool or rng.random() < 0.04):
            pool = self.city_entities
        return (None, pool[rng.randrange(len(pool))]) if pool else (None, None)

    def agent_for(self, entity: LegalEntity | None) -> Person | None:
        """The person who acts for the organisation on the portal."""
        return self.agents.get(entity.pk) if entity is not None else None

    def _submission_time(self, rng: random.Random, moment: datetime, item: ServiceItem, channel: str) -> datetime:
        """Online any day from 7:00 to 23:00 (mostly office hours); at the window, and for items done on
        the spot, in office hours of a working day; never after now."""
        day = local_date(min(moment, self.now))
        office = channel == Channel.WINDOW or item.statutory_days <= 1 or rng.random() < 0.7
        if office:
            while not self.calendar.is_working_day(day):
                day -= timedelta(days=1)
            seconds = rng.randint(8 * 3600 + 30 * 60, 17 * 3600)
        else:
            seconds = rng.randint(7 * 3600, 23 * 3600)
        at = datetime.combine(day, time.min, tzinfo=LOCAL_ZONE) + timedelta(seconds=seconds)
        if at > self.now:
            at = self.now - timedelta(minutes=rng.randint(5, 60))
        return at

    def to_replay(self, specs: list[Spec], count: int) -> list[Spec]:
        """The showcases and the `count` most recent stories whose actions can run (licences included)."""
        chosen = [spec for spec in specs if spec.showcase]
        recent = [spec for spec in specs if not spec.showcase and self.replayable(spec)]
        recent.sort(key=lambda spec: spec.submitted_at)
        return chosen + recent[max(0, len(recent) - count):]

    def replayable(self, spec: Spec) -> bool:
        """The real actions would issue the item's licence: its type exists, the handling unit may issue
        it and the applicant is of the holder's kind (else the action refuses)."""
        code = spec.item.license_type
        if not code or code not in self.license_types:
            return True
        license_type = self.license_types[code]
        if spec.organisation is None or spec.organisation.function not in (license_type.issuing_function,
                                                                             "administrative_approval"):
            return False
        kind = "person" if spec.person else "entity"
        return license_type.holder_kind in (kind, "either")

    # Showcases: the demo accounts and the named officers' queues -------------------------------------

    def showcases(self) -> list[Spec]:
        specs = []
        resident = User.objects.filter(username="resident").select_related("person__region").first()
        agent = User.objects.filter(username="agent").select_related("legal_entity__region", "person").first()
        if resident and resident.person:
            self.accounts[("p", resident.person.pk)] = resident
            specs += self._showcase_set("resident", [(resident.person, None)], (
                ("completed", 40, 5, "license"), ("supplement", 3, None, ""), ("in_review", 6, None, ""),
                ("submitted", 0, None, ""), ("withdrawn", 50, None, "")), "person")
        if agent and agent.legal_entity:
            self.accounts[("e", agent.legal_entity.pk)] = agent
            self.agents[agent.legal_entity.pk] = agent.person
            specs += self._showcase_set("agent", [(None, agent.legal_entity)], (
                ("completed", 35, 4, "license"), ("supplement", 4, None, ""), ("in_review", 5, None, ""),
                ("licensed", 8, None, "license"), ("denied", 30, None, "")), "entity")
        if self.city_entities:
            specs += self._showcase_set("city", [(None, e) for e in self.city_entities[:3]], (
                ("decide", 6, None, "civil_affairs"), ("decide", 4, None, "civil_affairs"),
                ("decide", 2, None, "civil_affairs"), ("completed", 30, 2, "civil_affairs"),
                ("completed", 45, 1, "civil_affairs")), "entity", keep_open=True)
        seat = Region.objects.filter(code="130903").first()
        seat_persons = [p for p in self.persons if seat and p.region.path.startswith(seat.path)][:8]
        if seat_persons:
            specs += self._showcase_set("seat", [(p, None) for p in seat_persons], (
                ("submitted", 0, None, "county"), ("submitted", 0, None, "county"), ("submitted", 1, None, "county"),
                ("submitted", 1, None, "county"), ("deliver", 4, None, "plain"), ("deliver", 3, None, "county")),
                "person")
        return specs

    def _showcase_set(self, name: str, applicants: list, wants: tuple, kind: str, keep_open: bool = False) -> list[Spec]:
        rng = random.Random(f"{self.seed}:{name}")
        specs = []
        for n, (want, days_ago, rating, needs) in enumerate(wants):
            person, entity = applicants[n % len(applicants)]
            item = self._showcase_item(rng, kind, want, needs, person or entity)
            if item is None:
                continue
            region, unit = self.place(item, person or entity)
            channel = Channel.ONLINE if item.handled_online or rng.random() < 0.5 else Channel.WINDOW
            day = local_date(self.now) - timedelta(days=days_ago)
            while days_ago and not self.calendar.is_working_day(day):
                day -= timedelta(days=1)
            submitted_at = min(datetime.combine(day, time(9, 10), tzinfo=LOCAL_ZONE) + timedelta(minutes=n * 17),
                               self.now - timedelta(minutes=30))
            spec = Spec(f"demo:{self.seed}:{name}{n}", item, person, entity, channel, submitted_at, region, unit,
                        seed=f"{name}{n}", showcase=True)
            plot = Plot(fast=True, supplement=want == "supplement", unanswered=want == "supplement",
                        withdraw_at=1 if want == "withdrawn" else None, deny=want == "denied",
                        rating=rating, answer=not keep_open or rating == 1)
            ops = tell(rng, self.processes[item.pk], submitted_at, plot)
            process = self.processes[item.pk]
            if want == "submitted":
                ops = cut(ops, self.now, after="submit")
            elif want == "in_review":
                ops = cut(ops, self.now, before_stage=process.stages[min(2, len(process.stages) - 1)].key)
            elif want == "decide":
                ops = cut(ops, self.now, before_stage=decision_stage(process))
            elif want == "licensed" or want == "deliver":
                ops = cut(ops, self.now, before_stage=process.stages[-1].key)
            else:
                ops = cut(ops, self.now)
            spec.ops = ops
            spec.form = form_values(item, person, entity, self.agent_for(entity), rng)
            if self.replayable(spec):
                specs.append(spec)
        return specs

    def _showcase_item(self, rng: random.Random, kind: str, want: str, needs: str, applicant) -> ServiceItem | None:
        candidates = [item for item in self.items if kind in item.applicant_kinds]
        if needs == "license":
            candidates = [item for item in candidates if item.license_type in self.license_types]
        elif needs == "civil_affairs":
            candidates = [item for item in candidates if item.department == "civil_affairs"]
        elif needs == "county":
            candidates = [item for item in candidates if "county" in item.levels]
        elif needs == "plain":  # approved, then delivered without a licence
            candidates = [item for item in candidates if "county" in item.levels and not item.license_type]
        process_ok = {
            "in_review": lambda p: len(p.stages) >= 3, "decide": lambda p: decision_stage(p) != p.stages[0].key,
            "licensed": lambda p: p.stages[-1].key not in (ISSUE_STAGE, decision_stage(p)) and any(
                s.key == ISSUE_STAGE for s in p.stages),
            "deliver": lambda p: len(p.stages) >= 3 and p.stages[-1].key != decision_stage(p),
            "withdrawn": lambda p: len(p.stages) >= 3, "denied": lambda p: len(p.stages) >= 2,
        }.get(want, lambda p: True)
        fitting = []
        for item in candidates:
            if not process_ok(self.processes[item.pk]):
                continue
            region, unit = self.place(item, applicant)
            probe = Spec("", item, applicant if kind == "person" else None, applicant if kind == "entity" else None,
                         Channel.ONLINE, self.now, region, unit)
            if self.replayable(probe):
                fitting.append(item)
        return fitting[rng.randrange(len(fitting))] if fitting else None

    # Accounts -------------------------------------------------------------------------------------

    def ensure_accounts(self, specs: list[Spec], actor) -> int:
        """A portal account (unusable password) for each applicant of the stories: online submissions,
        supplements, withdrawals and reviews are theirs. Agents act for their organisation."""
        wanted: dict = {}
        for spec in specs:
            if spec.person is not None:
                wanted.setdefault(("p", spec.person.pk), (spec.person, None))
            else:
                wanted.setdefault(("e", spec.entity.pk), (self.agent_for(spec.entity), spec.entity))
        wanted = {key: value for key, value in wanted.items() if key not in self.accounts}
        usernames = {key: f"demo-{key[0]}{key[1]}" for key in wanted}
        existing = {u.username: u for u in User.objects.filter(username__in=usernames.values())}
        missing = []
        password = make_password(None)
        for key, (person, entity) in wanted.items():
            username = usernames[key]
            if username in existing or person is None:
                continue
            missing.append(User(username=username, password=password, display_name=person.name[:50], person=person,
                                legal_entity=entity, kind=AccountKind.ENTERPRISE_AGENT if entity else AccountKind.RESIDENT))
        if missing:
            store_demo_accounts(missing, actor=actor)
            existing.update({u.username: u for u in User.objects.filter(username__in=[u.username for u in missing])})
        for key in wanted:
            if usernames[key] in existing:
                self.accounts[key] = existing[usernames[key]]
        return len(missing)

    def demo_file(self):
        """One scanned page, stored once, that the bulk's online materials point to."""
        if self.stored_file is None:
            from bohai.kernel.files.actions import store_upload

            self.stored_file = store_upload(demo_scan(), actor=self.actor, field="materials")
        return self.stored_file

    # Through the real actions ----------------------------------------------------------------------

    def replay(self, spec: Spec) -> str | None:
        """Run the story through the actions; the application's final status, or None if an action refused."""
        from . import actions

        try:
            application = actions.submit_application(spec.item, **self._submission(spec))
            for op in spec.ops[1:]:
                application = self._replay_op(actions, application, spec, op)
            return application.status
        except (ValidationError, Conflict, PermissionDenied) as error:
            logger.warning("demo application %s (%s) refused by the actions: %s", spec.key, spec.item.code, error)
            return None

    def _submission(self, spec: Spec) -> dict:
        from bohai.licenses.queries import valid_licenses_of

        holder = {"person": spec.person} if spec.person else {"legal_entity": spec.entity}
        held = set(valid_licenses_of(**holder).values_list("license_type__code", flat=True))
        needed = [m.code for m in self.materials.get(spec.item.pk, [])
                  if m.requirement == MaterialRequirement.REQUIRED and m.replaced_by_license not in held]
        options = {"actor": self.submitter(spec), "form_data": spec.form, "applicant_person": spec.person,
                   "applicant_entity": spec.entity, "channel": spec.channel, "idempotency_key": spec.key,
                   "at": spec.submitted_at}
        if spec.channel == Channel.WINDOW:
            options["paper_checked"] = needed
        else:
            options["uploads"] = {code: demo_scan() for code in needed}
        return options

    def _replay_op(self, actions, application, spec: Spec, op: Op):
        if op.kind == "complete":
            task = WorkflowTask.objects.select_related("region", "organisation").defer("region__boundary").get(
                instance_id=application.workflow_id, stage_key=op.stage, step_key=op.step, status=TaskStatus.OPEN)
            who = self.officer(task.role, task.region, task.organisation) or self.actor
            if op.stage == ACCEPT_STAGE and application.status == Status.SUBMITTED:
                if op.outcome == "deny":
                    return actions.reject_application(application, reason=op.text, actor=who, at=op.at)
                return actions.accept_application(application, actor=who, at=op.at)
            return actions.handle_step(application, task, outcome=op.outcome, comment=op.text, actor=who, at=op.at,
                                       license_fields=self.license_fields(application, spec, op.at))
        if op.kind == "ask":
            return actions.request_supplement(application, items=list(op.items), actor=self._clerk(application), at=op.at)
        if op.kind == "supplement":
            code = next((m.code for m in self.materials.get(spec.item.pk, [])), None)
            return actions.supplement_application(application, actor=self.account_of(spec), note=op.text, at=op.at,
                                                  uploads={code: demo_scan()})
        if op.kind == "withdraw":
            return actions.withdraw_application(application, reason=op.text, actor=self.account_of(spec), at=op.at)
        if op.kind == "review":
            actions.review_application(application, rating=op.rating, comment=op.text, actor=self.account_of(spec),
                                       dimensions=_dimensions(random.Random(spec.seed), op.rating), at=op.at)
        elif op.kind in ("answer", "close"):
            rectification = Rectification.objects.get(review__application=application)
            if op.kind == "answer":  # the department's head answers; the service office checks and closes
                head = self.officer("department_head", application.region, application.organisation) or self.actor
                actions.answer_rectification(rectification, response=op.text, actor=head, at=op.at)
            else:
                actions.close_rectification(rectification, actor=self.office(), at=op.at)
        return application

    def office(self):
        """Who closes rectifications: the demo city officer when their role may, else the system."""
        if not hasattr(self, "_office"):
            user = User.objects.filter(username="city_officer", is_active=True).first()
            self._office = user if user is not None and user.has_perm("services.close_rectification") else self.actor
        return self._office

    def _clerk(self, application):
        task = (WorkflowTask.objects.filter(instance_id=application.workflow_id, status=TaskStatus.OPEN)
                .select_related("region", "organisation").defer("region__boundary").first())
        return (self.officer(task.role, task.region, task.organisation) if task else None) or self.actor

    def license_fields(self, application, spec: Spec, at) -> dict | None:
        from .actions.applications import license_prefill

        license_type = self.license_types.get(spec.item.license_type)
        if license_type is None:
            return None
        values = license_prefill(application, license_type, at)
        rng = random.Random(f"{spec.seed}:licence")
        for spec_field in license_type.fields:
            if spec_field["key"] not in values and spec_field.get("required", True):
                values[spec_field["key"]] = _licence_value(spec_field, rng, at)
        return values


def _increments(cumulative: list[float]) -> list[float]:
    return [b - a for a, b in zip([0.0, *cumulative], cumulative)]


def _fraction_of_year(rng: random.Random) -> float:
    """A point in [0, 1) drawn with density rising linearly by GROWTH (inverse of the distribution)."""
    u = rng.random()
    return ((1 + 2 * GROWTH * u * (1 + GROWTH / 2)) ** 0.5 - 1) / GROWTH


def _dimensions(rng: random.Random, rating: int) -> dict:
    return {key: max(1, min(5, rating + rng.choice((-1, 0, 0, 0, 1)))) for key in REVIEW_DIMENSIONS}


def _licence_value(spec_field: dict, rng: random.Random, at) -> str:
    if spec_field.get("type") == "date":
        return local_date(at).isoformat()
    if spec_field.get("type") == "number":
        return str(rng.randint(20, 300))
    return f"{spec_field['label']}：详见审批结果"[:60]


def demo_scan() -> SimpleUploadedFile:
    """A pale page with a few grey lines, as a PNG (the same bytes every time: stored once)."""
    return SimpleUploadedFile("扫描件.png", _scan_bytes(), content_type="image/png")


@functools.cache
def _scan_bytes() -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (210, 297), (250, 250, 246))
    draw = ImageDraw.Draw(image)
    for y in range(40, 270, 18):
        draw.line((24, y, 186 - (y % 5) * 9, y), fill=(170, 170, 170), width=2)
    draw.rectangle((140, 230, 190, 280), outline=(200, 40, 40), width=3)
    buffer = BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


# Form values ----------------------------------------------------------------------------------

SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超霞平刚桂英华玉兰萍红建国志海燕文博雪梅春梅秀兰鹏辉晨宇欣怡子涵浩然"
PLACES = ("沧州市人民医院", "沧州市中心医院", "沧州市第二医院", "运河区实验小学", "沧州师范学院", "沧县人民医院", "任丘市人民医院")
UNITS = ("沧州市鑫恒建筑工程有限公司", "河北宏达工程监理有限公司", "沧州市华信设计研究院", "沧州市运通物流有限公司")


def form_values(item: ServiceItem, person, entity, agent, rng: random.Random) -> dict:
    """Values for the item's declared form, cleaned as clean_form leaves them, from the applicant's
    registers where the form says so (prefill) and plausible inventions elsewhere."""
    values = {}
    for spec in item.form:
        if spec["type"] == "attachment" or (not spec.get("required") and rng.random() < 0.4):
            continue
        value = _prefilled(spec.get("prefill") or "", person or agent, entity)
        if value in (None, ""):
            value = _invented(spec, person or agent, entity, rng)
        if value not in (None, "", []):
            values[spec["key"]] = value
    return values


def _prefilled(source: str, person, entity):
    kind, _dot, attribute = source.partition(".")
    if kind == "person" and person is not None:
        if attribute == "region":
            return person.region.key
        if attribute == "gender":
            return person.get_gender_display()
        if attribute == "birth_date":
            return person.birth_date.isoformat() if person.birth_date else ""
        if attribute == "phone":
            return person.phone if person.phone_cipher else ""
        return getattr(person, attribute, None) if attribute in ("name", "id_number", "address") else None
    if kind == "entity" and entity is not None:
        if attribute == "region":
            return entity.region.key
        return getattr(entity, attribute, None) if attribute in ("name", "credit_code", "legal_representative", "address") else None
    return None


def _invented(spec: dict, person, entity, rng: random.Random):
    kind, label = spec["type"], spec.get("label", "")
    holder = entity or person
    if kind == "choice":
        return rng.choice(spec["choices"])
    if kind == "multichoice":
        return rng.sample(spec["choices"], rng.randint(1, min(2, len(spec["choices"]))))
    if kind == "boolean":
        return rng.random() < 0.7
    if kind == "date":
        return (local_date(timezone.now()) - timedelta(days=rng.randint(1, 400))).isoformat()
    if kind in ("integer", "decimal"):
        return _number(spec, rng, kind)
    if kind == "phone":
        return rng.choice(("138", "139", "150", "186", "187", "133")) + f"{rng.randrange(10 ** 8):08d}"
    if kind == "id_number":
        return validators.make_resident_id("130903", date(1960, 1, 1) + timedelta(days=rng.randint(0, 15000)),
                                           rng.randint(1, 999))
    if kind == "credit_code":
        body = "MA" + "".join(rng.choice(validators.CREDIT_CODE_ALPHABET) for _ in range(6))
        return validators.make_credit_code("91", "130903", body)
    if kind == "region":
        return holder.region.key
    return _text(spec, label, holder, rng)


def _number(spec: dict, rng: random.Random, kind: str):
    label = spec.get("label", "")
    upper = 500 if "万元" in label else 300 if "平方米" in label else 5000 if "元" in label else 30 if (
        "年" in label or "人数" in label or "数" in label) else 100
    low = Decimal(str(spec["min"])) if spec.get("min") is not None else Decimal(1)
    high = Decimal(str(spec["max"])) if spec.get("max") is not None else max(low + 1, Decimal(upper))
    high = min(high, max(low + 1, Decimal(upper)))
    if kind == "integer":
        return rng.randint(int(low), max(int(low), int(high)))
    return str((low + (high - low) * Decimal(str(round(rng.random(), 4)))).quantize(Decimal("0.01")))


def _text(spec: dict, label: str, holder, rng: random.Random) -> str:
    limit = spec.get("max_length") or (4000 if spec["type"] == "textarea" else 200)
    name = SURNAMES[rng.randrange(len(SURNAMES))] + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2)))
    if spec["type"] == "address" or any(word in label for word in ("地址", "住所", "坐落", "地点", "场所", "路段")):
        text = getattr(holder, "address", "") or "河北省沧州市运河区解放西路18号"
    elif any(word in label for word in ("姓名", "负责人", "管理人", "经办人", "代表人", "人员", "当事人")):
        text = name
    elif any(word in label for word in ("医院", "医疗机构", "学校")):
        text = rng.choice(PLACES)
    elif any(word in label for word in ("单位", "企业名称", "名称")):
        text = getattr(holder, "name", "") if "名称" in label and hasattr(holder, "credit_code") else rng.choice(UNITS)
    elif any(word in label for word in ("号", "编码", "代码", "账户", "账号")):
        text = f"{rng.randrange(10 ** 11):011d}"
    elif "关系" in label:
        text = rng.choice(("本人", "配偶", "子女", "父母"))
    elif "民族" in label:
        text = "汉族"
    else:
        text = f"{label}：详见申请材料" if spec["type"] != "textarea" else f"{label}：已如实填写，详见所附材料。"
    return text[:limit]


# The bulk --------------------------------------------------------------------------------------

@service_action
def store_demo_accounts(users: list[User], *, actor) -> int:
    User.objects.bulk_create(users, batch_size=500)
    record(actor=actor, action="accounts.user.bulk_create", target_type="accounts.user",
           after={"count": len(users), "source": "services demo applicants", "first": users[0].username,
                  "last": users[-1].username})
    return len(users)


@service_action
def store_demo_batch(world: World, specs: list[Spec], *, actor) -> Counter:
    """Write a batch of stories as the actions would have left them; one audit record."""
    ledgers = [Ledger(world, spec) for spec in specs]
    for ledger in ledgers:
        ledger.run()
    Application.objects.bulk_create([ledger.application for ledger in ledgers], batch_size=500)
    subject_type = ContentType.objects.get_for_model(Application)
    for ledger in ledgers:
        ledger.instance.subject_type, ledger.instance.subject_id = subject_type, ledger.application.pk
    WorkflowInstance.objects.bulk_create([ledger.instance for ledger in ledgers], batch_size=500)
    tasks, events, materials, reviews = [], [], [], []
    for ledger in ledgers:
        application = ledger.application
        application.workflow_id = ledger.instance.pk
        local = timezone.localtime(application.submitted_at, LOCAL_ZONE)
        application.number = f"{local:%Y%m%d}{application.region.key[:6]}{application.pk:07d}"
        for task in ledger.tasks:
            task.instance_id = ledger.instance.pk
        for row in (*ledger.events, *ledger.materials):
            row.application_id = application.pk
        tasks += ledger.tasks
        events += ledger.events
        materials += ledger.materials
        if ledger.review is not None:
            ledger.review.application_id = application.pk
            reviews.append(ledger.review)
    Application.objects.bulk_update([ledger.application for ledger in ledgers], ["number", "workflow"], batch_size=500)
    WorkflowTask.objects.bulk_create(tasks, batch_size=1000)
    ApplicationEvent.objects.bulk_create(events, batch_size=1000)
    ApplicationMaterial.objects.bulk_create(materials, batch_size=1000)
    Review.objects.bulk_create(reviews, batch_size=1000)
    rectifications = []
    for ledger in ledgers:
        if ledger.rectification is not None:
            ledger.rectification.review_id = ledger.review.pk
            rectifications.append(ledger.rectification)
    Rectification.objects.bulk_create(rectifications)
    statuses = Counter(str(ledger.application.status) for ledger in ledgers)
    record(actor=actor, action="services.demo.applications", target_type="services.application",
           after={"count": len(ledgers), "first": ledgers[0].application.number, "last": ledgers[-1].application.number,
                  "statuses": dict(sorted(statuses.items())), "reviews": len(reviews),
                  "rectifications": len(rectifications), "tasks": len(tasks), "events": len(events)})
    return statuses


class Ledger:
    """What the actions would have written for one story, worked out in memory (services.actions and
    workflows.actions in miniature: the same statuses, clocks, task rows and timeline)."""

    def __init__(self, world: World, spec: Spec):
        self.world, self.spec, self.calendar = world, spec, world.calendar
        self.process = world.processes[spec.item.pk]
        self.tasks: list[WorkflowTask] = []
        self.events: list[ApplicationEvent] = []
        self.materials: list[ApplicationMaterial] = []
        self.review: Review | None = None
        self.rectification: Rectification | None = None
        self.applicant_account = world.account_of(spec)
        self.submitter = world.submitter(spec)

    def run(self) -> None:
        handlers = {"submit": self._submit, "complete": self._complete, "ask": self._ask, "supplement": self._supplement,
                    "withdraw": self._withdraw, "review": self._review, "answer": self._answer,
                    "close": self._close_rectification}
        for op in self.spec.ops:
            handlers[op.kind](op)
        self._cards()

    # The operations -------------------------------------------------------------------------

    def _submit(self, op: Op) -> None:
        spec = self.spec
        self.application = Application(
            item=spec.item, applicant_person=spec.person, applicant_entity=spec.entity,
            applicant_name=spec.applicant.name, submitted_by=self.submitter, channel=spec.channel, region=spec.region,
            organisation=spec.organisation, status=Status.SUBMITTED, form_data=spec.form, idempotency_key=spec.key,
            submitted_at=op.at, handled_online=spec.channel != Channel.WINDOW and spec.item.handled_online)
        self.instance = WorkflowInstance(
            declaration=self.process.declaration(), region=spec.region, department=spec.item.department,
            organisation=spec.organisation, started_at=op.at, limit_days=spec.item.statutory_days)
        self._instance_clock()
        self.application.due_at = self.instance.due_at
        self._enter(self.process.stages[0], op.at)
        self._materials()
        self._event(EventKind.SUBMITTED, op.at, self.submitter, channel=spec.channel)

    def _complete(self, op: Op) -> None:
        task = next(t for t in self.tasks if t.status == TaskStatus.OPEN and t.stage_key == op.stage and t.step_key == op.step)
        who = self.world.officer(task.role, self.spec.region, task.organisation)
        task.status, task.outcome, task.comment, task.completed_at, task.completed_by = (
            TaskStatus.DONE, op.outcome, op.text, op.at, who)
        task.version += 1
        self._event(EventKind.STEP_DONE, op.at, who, public=False, step=task.name, outcome=op.outcome, comment=op.text)
        if op.outcome == "deny":
            self._cancel_open(op.at)
            self._finish_instance(op.at, "denied")
            rejected = op.stage == ACCEPT_STAGE
            self.application.status = Status.REJECTED if rejected else Status.DENIED
            self.application.decided_at = None if rejected else op.at
            self.application.reason = op.text
            self._event(EventKind.REJECTED if rejected else EventKind.DENIED, op.at, who, reason=op.text)
            self._completed(op.at)
            return
        if any(t.status == TaskStatus.OPEN and t.stage_key == op.stage for t in self.tasks):
            return
        following = self.process.next_stage(op.stage)
        if following is None:
            self._finish_instance(op.at, "approved")
            if self.application.status in (Status.SUBMITTED, Status.IN_REVIEW):
                self._approve(op.at, who)
            self._event(EventKind.DELIVERED, op.at, who)
            self.application.status = Status.COMPLETED
            self._event(EventKind.COMPLETED, op.at, who)
            self._completed(op.at)
            return
        self._enter(following, op.at)
        if op.stage == ACCEPT_STAGE:
            self.application.status, self.application.accepted_at = Status.IN_REVIEW, op.at
            self._event(EventKind.ACCEPTED, op.at, who)
        if op.stage == decision_stage(self.process):
            self._approve(op.at, who)

    def _ask(self, op: Op) -> None:
        self.instance.status, self.instance.paused_since = InstanceStatus.PAUSED, op.at
        self.application.status, self.application.supplement_items = Status.SUPPLEMENT, list(op.items)
        self._event(EventKind.SUPPLEMENT_REQUESTED, op.at, self._open_officer(), items=list(op.items))

    def _supplement(self, op: Op) -> None:
        paused = self.calendar.elapsed_days(self.instance.paused_since, op.at)
        self.instance.status, self.instance.paused_since = InstanceStatus.RUNNING, None
        self.instance.paused_days += paused
        self._instance_clock()
        for task in self.tasks:
            if task.status == TaskStatus.OPEN:
                task.paused_days += paused
                self._task_clock(task)
        self.application.status = Status.SUBMITTED if self.instance.stage_key == ACCEPT_STAGE else Status.IN_REVIEW
        self.application.due_at, self.application.supplement_items = self.instance.due_at, []
        material = self.world.materials.get(self.spec.item.pk, [])[:1]
        if material:
            self.materials.append(self._material(material[0], online=True))
        self._event(EventKind.SUPPLEMENTED, op.at, self.applicant_account,
                    materials=[m.name for m in material], note=op.text)

    def _withdraw(self, op: Op) -> None:
        self._cancel_open(op.at)
        self.instance.status, self.instance.outcome, self.instance.finished_at = (
            InstanceStatus.CANCELLED, "cancelled", op.at)
        self.application.status, self.application.completed_at = Status.WITHDRAWN, op.at
        self._event(EventKind.WITHDRAWN, op.at, self.applicant_account, reason=op.text)

    def _review(self, op: Op) -> None:
        rng = random.Random(f"{self.spec.seed}:review")
        self.review = Review(rating=op.rating, dimensions=_dimensions(rng, op.rating), comment=op.text,
                             region=self.spec.region, organisation=self.spec.organisation, created_at=op.at)
        self._event(EventKind.REVIEWED, op.at, self.applicant_account, rating=str(Rating(op.rating).label))
        if op.rating <= 2:
            self.rectification = Rectification(region=self.spec.region, organisation=self.spec.organisation,
                                               due_at=self.calendar.deadline(op.at, 15))

    def _answer(self, op: Op) -> None:
        rectification = self.rectification
        rectification.status, rectification.response, rectification.answered_at = (
            RectificationStatus.ANSWERED, op.text, op.at)
        rectification.on_time = op.at <= rectification.due_at

    def _completed(self, at) -> None:
        application, instance = self.application, self.instance
        application.completed_at = at
        application.working_days = max(0, self.calendar.elapsed_days(application.submitted_at, at) - instance.paused_days)
        application.on_time = application.due_at is None or at <= application.due_at

    def _close_rectification(self, op: Op) -> None:
        self.rectification.status, self.rectification.closed_at = RectificationStatus.CLOSED, op.at

    # The mechanics ------------------------------------------------------------------------------

    def _approve(self, at, who) -> None:
        self.application.status, self.application.decided_at = Status.APPROVED, at
        self._event(EventKind.APPROVED, at, who)

    def _enter(self, stage, at) -> None:
        self.instance.stage_key = stage.key
        for step in stage.steps:
            organisation = self.spec.organisation
            if step.department and step.department != self.spec.item.department:
                organisation = self.world.unit(step.department, self.spec.region)
            if step.role in PLACE_ROLES:
                organisation = None
            task = WorkflowTask(stage_key=stage.key, step_key=step.key, name=step.name, role=step.role,
                                region=self.spec.region, organisation=organisation, opened_at=at,
                                limit_days=step.days, limit_hours=step.hours, version=0,
                                **({"limit_clock_hours": step.clock_hours} if hasattr(step, "clock_hours") else {}))
            self._task_clock(task)
            self.tasks.append(task)

    def _cancel_open(self, at) -> None:
        for task in self.tasks:
            if task.status == TaskStatus.OPEN:
                task.status, task.completed_at = TaskStatus.CANCELLED, at
                task.version += 1

    def _finish_instance(self, at, outcome: str) -> None:
        self.instance.status, self.instance.outcome, self.instance.finished_at = InstanceStatus.FINISHED, outcome, at

    # The engine's own clock setters (pure: the working-day calendar, no query), so that the bulk's
    # deadlines can never differ from those the actions compute.
    def _task_clock(self, task: WorkflowTask) -> None:
        engine._set_task_clock(task)

    def _instance_clock(self) -> None:
        engine._set_instance_clock(self.instance)

    def _cards(self) -> None:
        """The cards the deadline job raised while a task or process ran (open ones: the job raises them)."""
        for row, ended in ((task, task.completed_at) for task in self.tasks):
            row.warning = _card(row, ended)
        self.instance.warning = _card(self.instance, self.instance.finished_at)

    def _open_officer(self):
        task = next((t for t in self.tasks if t.status == TaskStatus.OPEN), None)
        return self.world.officer(task.role, self.spec.region, task.organisation) if task else None

    def _materials(self) -> None:
        for material in self.world.materials.get(self.spec.item.pk, []):
            if material.requirement == MaterialRequirement.REQUIRED:
                self.materials.append(self._material(material, online=self.spec.channel != Channel.WINDOW))

    def _material(self, material, *, online: bool) -> ApplicationMaterial:
        if online:
            return ApplicationMaterial(material_code=material.code, name=material.name, trust_level=TrustLevel.C,
                                       stored_file=self.world.demo_file())
        return ApplicationMaterial(material_code=material.code, name=material.name, trust_level=TrustLevel.B,
                                   checked_by=self.submitter)

    def _event(self, kind: str, at, who, public: bool = True, **params) -> None:
        label = (getattr(who, "display_name", "") or getattr(who, "username", "")) if who else ACTOR
        self.events.append(ApplicationEvent(kind=kind, at=at, actor=who, actor_label=label[:100], params=params,
                                            public=public))


def _card(row, ended) -> int:
    if ended is None or row.due_at is None:
        return Card.NONE
    if ended > row.due_at:
        return Card.RED
    if row.yellow_at is not None and ended > row.yellow_at:
        return Card.YELLOW
    return Card.NONE

