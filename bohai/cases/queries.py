"""What the cases pages read: the class tree for pickers, the region and unit choices, the user's queue and
the grid worker's day, possible duplicates of a draft, timelines (internal, and public without personal
data), and the redaction of phone and identity numbers, plates and names from text shown to the public."""
import re
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from bohai.engines.workflows.models import TaskStatus, WorkflowTask
from bohai.engines.workflows.queries import can_act, tasks_for
from bohai.kernel.organisations.models import Organisation
from bohai.kernel.regions.models import Level, Region
from bohai.kernel.regions.spatial import locate

from .duplicates import possible_duplicates
from .models import Case, CaseClass, CaseEvent, ClassKind, Source, Status, Track

CITY_KINDS = (ClassKind.PART, ClassKind.EVENT)
HOTLINE_KINDS = (ClassKind.TOPIC,)

# Stages of both tracks, in the order a case meets them (the queue's filter).
STAGES = (("file", gettext_lazy("立案")), ("dispatch", gettext_lazy("派遣")), ("sign", gettext_lazy("签收")),
          ("handle", gettext_lazy("处置")), ("verify", gettext_lazy("核查")), ("route", gettext_lazy("派单")),
          ("follow_up", gettext_lazy("回访")))

# Statuses the public list shows: no unfiled report (not yet checked by the supervision centre), no refused one.
PUBLIC_STATUSES = (Status.FILED, Status.DISPATCHED, Status.HANDLING, Status.HANDLED, Status.CLOSED, Status.DEFERRED,
                   Status.ACCEPTED, Status.REPLIED)


def without_boundaries(queryset, *relations):
    """Regions loaded beside a row come without their boundary (a county's polygon is large; pages need names)."""
    return queryset.defer(*(f"{relation}__boundary" for relation in relations))


def placed(queryset, *more):
    """Cases with their class, county and township (names only) and any other relations named."""
    return without_boundaries(queryset.select_related("case_class", "county", "township", *more), "county", "township")


def case_type() -> ContentType:
    return ContentType.objects.get_for_model(Case)


def holds_role(user, code: str) -> bool:
    """The grid worker's and the hotline operator's pages are for those roles (a permission both share would not tell)."""
    return bool(user.is_superuser or user.role_assignments.filter(role__code=code).exists())


# Pickers ---------------------------------------------------------------------------------------------

def class_tree(kinds=CITY_KINDS) -> list[dict]:
    """Major classes with their active minor classes: [{code, name, kind, minors: [{code, name}]}]."""
    majors = {c.pk: {"code": c.code, "name": c.name, "kind": c.kind, "minors": []}
              for c in CaseClass.objects.filter(parent__isnull=True, kind__in=kinds, active=True).order_by("code")}
    for minor in CaseClass.objects.filter(parent_id__in=majors, active=True).order_by("code"):
        majors[minor.parent_id]["minors"].append({"code": minor.code, "name": minor.name})
    return [major for major in majors.values() if major["minors"]]


def class_choices(kinds=CITY_KINDS) -> list:
    """Minor classes grouped under their major class, for a <select> with optgroups."""
    return [(major["name"], [(minor["code"], minor["name"]) for minor in major["minors"]]) for major in class_tree(kinds)]


def minor_class(code: str | None) -> CaseClass | None:
    code = (code or "").strip()
    return CaseClass.objects.filter(code=code, parent__isnull=False, active=True).first() if code else None


def city_region() -> Region | None:
    return Region.objects.filter(level=Level.CITY).order_by("key").first()


def region_choices(under: Region | None = None) -> list[tuple[str, str]]:
    """Counties and zones, each followed by its townships (indented); within `under` when given."""
    regions = Region.objects.filter(level__in=[Level.COUNTY, Level.ZONE, Level.TOWNSHIP]).order_by("path")
    if under is not None:
        regions = regions.filter(path__startswith=under.path)
    return [(r.key, r.name if r.level != Level.TOWNSHIP else f"\u3000{r.name}") for r in regions]


def region_by_key(key: str | None) -> Region | None:
    key = (key or "").strip()
    return Region.objects.filter(key=key).first() if key else None


def county_of(region: Region | None) -> Region | None:
    if region is None:
        return None
    if region.level in (Level.COUNTY, Level.ZONE):
        return region
    keys = region.path.strip("/").split("/")
    return Region.objects.filter(key__in=keys, level__in=[Level.COUNTY, Level.ZONE]).first()


def home_region(user) -> Region | None:
    """The deepest region of the user's assignments (a grid worker's township or grid)."""
    regions = [a.region for a in without_boundaries(user.role_assignments.select_related("region"), "region")]
    return max(regions, key=lambda r: r.path.count("/"), default=None)


def dispatch_units(case: Case) -> list[tuple[str, list[tuple[int, str]]]]:
    """Units that may take the case: those of its township, county and city, nearest first, grouped by place."""
    keys = case.region.path.strip("/").split("/")
    units = without_boundaries(Organisation.objects.filter(region__key__in=keys).exclude(kind="community")
                               .select_related("region").order_by("-region__path", "name"), "region")
    groups: dict[str, list] = {}
    for unit in units:
        groups.setdefault(unit.region.name, []).append((unit.pk, unit.name))
    return list(groups.items())


# Queues ------------------------------------------------------------------------------------------------

def case_tasks(user) -> QuerySet:
    """The user's open tasks on cases (all stages of both tracks), soonest due first."""
    return without_boundaries(tasks_for(user).filter(instance__subject_type=case_type()), "region").order_by("due_at", "id")


def with_cases(tasks) -> list:
    """The tasks with `.case` (its class and places loaded) attached."""
    tasks = list(tasks)
    cases = placed(Case.objects, "organisation").in_bulk(
        [task.instance.subject_id for task in tasks])
    for task in tasks:
        task.case = cases.get(task.instance.subject_id)
    return [task for task in tasks if task.case is not None]


def verifications_for(user) -> list:
    return with_cases(case_tasks(user).filter(stage_key="verify"))


def open_task_for(user, case: Case, stage_key: str) -> WorkflowTask | None:
    task = WorkflowTask.objects.filter(instance_id=case.workflow_id, stage_key=stage_key, status=TaskStatus.OPEN).first()
    return task if task is not None and can_act(user, task) else None


# Duplicates of a draft ------------------------------------------------------------------------------------

@dataclass
class DraftPlace:
    found: bool
    name: str = ""
    case_region: Region | None = None


def draft_duplicates(user, *, description: str, case_class: CaseClass | None, lng, lat, limit: int = 5):
    """Cases the user may see that look like the draft (same class within 50 m, or similar text in the
    township, within 24 hours); and where the point lies."""
    try:
        lng, lat = float(lng), float(lat)
    except (TypeError, ValueError):
        return [], DraftPlace(False)
    location = locate(lng, lat)
    if not location:
        return [], DraftPlace(False)
    place = DraftPlace(True, " ".join(r.name for r in (location.county, location.township, location.grid) if r),
                       location.deepest)
    draft = Case(description=description or "", case_class=case_class, lng=lng, lat=lat, county=location.county,
                 township=location.township, reported_at=timezone.now())
    found = possible_duplicates(draft, limit=limit * 2)
    visible = set(Case.objects.restrict(user, "view").filter(pk__in=[c.pk for c in found]).values_list("pk", flat=True))
    return [c for c in found if c.pk in visible][:limit], place


# Redaction -------------------------------------------------------------------------------------------------

COMMON_SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任"
                   "沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴"
                   "莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮"
                   "柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓"
                   "古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣"
                   "巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝")
_SURNAME = f"[{COMMON_SURNAMES}]"
_PLATE_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
REDACTIONS = (
    # E-mail addresses.
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "[邮箱已隐去]"),
    # Identity numbers (18 or 15 characters) and any other long run of digits (bank cards, accounts).
    (re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])|(?<!\d)\d{15,}(?!\d)"), "[证件号码已隐去]"),
    # Mobile numbers, also written with spaces or dashes, with or without +86.
    (re.compile(r"(?<!\d)(?:\+?86[-\s]?)?1[3-9]\d(?:[-\s]?\d){8}(?!\d)"), "[电话已隐去]"),
    # Landlines with an area code (0317-1234567), and bare runs of 7 or more digits.
    (re.compile(r"(?<!\d)0\d{2,3}[-\s]?\d{7,8}(?!\d)|(?<!\d)\d{7,}(?!\d)"), "[电话已隐去]"),
    # Vehicle plates (冀J12345, 冀J·D12345).
    (re.compile(rf"[{_PLATE_PROVINCES}][A-Z][·\s]?[A-HJ-NP-Z0-9]{{5,6}}(?![A-Za-z0-9])"), "[车牌已隐去]"),
    # A name introduced as such (我叫王小红, 联系人：李华, 姓名张三).
    (re.compile(rf"(我叫|我是|本人|名叫|叫做|联系人|姓名|业主|户主|租户)([:：\s]*){_SURNAME}[\u4e00-\u9fa5]{{1,2}}"),
     r"\1\2[姓名已隐去]"),
    # A surname with a form of address (王先生, 李女士, 张师傅).
    (re.compile(rf"{_SURNAME}(先生|女士|小姐|师傅|大爷|大妈|阿姨|老师|经理|老板)"), r"某\1"),
)


def redact(text: str) -> str:
    """Text for the public: phone and identity numbers, e-mail addresses, plates and introduced names replaced by a
    note (whole, not partly masked: a tail of digits is still a clue to who wrote it)."""
    text = text or ""
    for pattern, replacement in REDACTIONS:
        text = pattern.sub(replacement, text)
    return text


def public_place(case: Case) -> str:
    return " ".join(r.name for r in (case.county, case.township) if r) or (case.region.name if case.region_id else "")


def public_cases() -> QuerySet:
    return placed(Case.objects.filter(status__in=PUBLIC_STATUSES, number__isnull=False))


def public_summary(case: Case, length: int = 120) -> str:
    """What the public list shows of the description: only for 数字城管 (a problem in a public place), redacted.
    A 12345 caller spoke to the government, not to the public: their words stay off the list."""
    if case.track != Track.CITY:
        return ""
    text = redact(" ".join(case.description.split()))
    return text if len(text) <= length else text[:length] + "…"


# Timelines -------------------------------------------------------------------------------------------------

@dataclass
class Entry:
    kind: str
    label: str
    at: datetime
    who: str = ""
    detail: str = ""
    public: bool = True
    tone: str = "primary"
    icon: str = "check"
    extra: dict = field(default_factory=dict)


EVENT_LABELS = {
    "reported": gettext_lazy("上报"), "filed": gettext_lazy("立案"), "dispatched": gettext_lazy("派遣"),
    "signed": gettext_lazy("签收"), "handled": gettext_lazy("处置完毕"), "replied": gettext_lazy("答复"),
    "verified": gettext_lazy("核查通过，结案"), "rework": gettext_lazy("核查未通过，返工"),
    "followed_up": gettext_lazy("回访"), "refused": gettext_lazy("不予立案"), "merged": gettext_lazy("合并（重复）"),
    "sent_back": gettext_lazy("退回（非本单位职责）"), "deferred": gettext_lazy("挂账"), "resumed": gettext_lazy("恢复处置"),
    "extension_requested": gettext_lazy("申请延期"), "extension_approved": gettext_lazy("批准延期"),
    "extension_refused": gettext_lazy("不批准延期"),
}
TONES = {"refused": ("red", "x"), "merged": ("secondary", "x"), "rework": ("orange", "alert"), "sent_back": ("orange", "alert"),
         "deferred": ("purple", "clock"), "extension_requested": ("yellow", "clock"), "verified": ("green", "check"),
         "followed_up": ("green", "star"), "reported": ("azure", "file"), "replied": ("teal", "message"),
         "handled": ("teal", "check")}


def timeline(case: Case, *, public: bool) -> list[Entry]:
    """The case's events in order. Public: only public events; staff named by their unit or centre, never by
    name; free text only for 数字城管 cases and redacted. Internal: everything, with who acted."""
    events = case.events.all() if not public else case.events.filter(public=True)
    hotline = case.track == Track.HOTLINE
    unit = ""
    entries = []
    for event in events.select_related("actor"):
        params = event.params or {}
        if event.kind == "dispatched":
            unit = params.get("unit", "")
        tone, icon = TONES.get(event.kind, ("primary", "check"))
        entry = Entry(event.kind, _label(event, hotline), event.at, public=event.public, tone=tone, icon=icon)
        if public:
            entry.who = _public_who(event.kind, case, unit)
            if not hotline:
                entry.detail = redact(_detail(event, params))
            elif event.kind == "followed_up":
                entry.detail = params.get("satisfaction", "")
        else:
            who = event.actor_label
            if event.kind in ("signed", "handled", "replied", "sent_back", "extension_requested") and unit:
                who = f"{unit} · {who}"
            if event.kind == "reported" and params.get("source") in Source.values:
                who = f"{Source(params['source']).label} · {who}"
            entry.who, entry.detail = who, _detail(event, params)
        if event.kind == "sent_back":
            unit = ""
        entries.append(entry)
    return entries


def _label(event: CaseEvent, hotline: bool) -> str:
    params = event.params or {}
    if event.kind == "reported":
        return _("12345 受理") if hotline else _("上报")
    if event.kind == "dispatched":
        return (_("派单至 %(unit)s") if hotline else _("派遣至 %(unit)s")) % {"unit": params.get("unit", "")}
    if event.kind == "followed_up" and params.get("satisfaction"):
        return _("回访：%(satisfaction)s") % {"satisfaction": params["satisfaction"]}
    if event.kind in ("extension_requested", "extension_approved", "extension_refused") and params.get("days"):
        return _("%(label)s %(days)s 个工作日") % {"label": EVENT_LABELS[event.kind], "days": params["days"]}
    return EVENT_LABELS.get(event.kind, event.kind)


def _detail(event: CaseEvent, params: dict) -> str:
    if event.kind == "merged" and params.get("into"):
        return _("并入 %(number)s。%(reason)s") % {"number": params["into"], "reason": params.get("reason", "")}
    if event.kind == "filed" and params.get("case_class"):
        return _("分类：%(name)s") % {"name": params["case_class"]}
    for key in ("note", "reason"):
        if params.get(key):
            return str(params[key])
    return ""


def _public_who(kind: str, case: Case, unit: str) -> str:
    hotline = case.track == Track.HOTLINE
    if kind == "reported":
        if hotline:
            return _("12345 政务服务便民热线")
        return Source(case.source).label if case.source in Source.values else ""
    if kind in ("filed", "refused", "merged", "deferred", "resumed"):
        return _("12345 政务服务便民热线") if hotline else _("城市管理监督中心")
    if kind in ("dispatched",):
        return _("12345 政务服务便民热线") if hotline else _("城市管理指挥中心")
    if kind in ("verified", "rework"):
        return _("网格员现场核查")
    if kind == "followed_up":
        return _("12345 回访")
    return unit


# Lists ---------------------------------------------------------------------------------------------------------

def overdue_condition():
    return Q(on_time=False) | (Q(due_at__lt=timezone.now()) & Q(status__in=(Status.DISPATCHED, Status.HANDLING,
                                                                             Status.HANDLED, Status.REPLIED)))


def latest_handling_note(case: Case) -> str:
    event = case.events.filter(kind__in=("handled", "replied")).order_by("-at", "-id").first()
    return (event.params or {}).get("note", "") if event else ""
