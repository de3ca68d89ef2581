"""Demo accounts: one named account per reference role, a resident, an enterprise agent, and one
staff member in every department, government and centre."""
import os
import random
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q
from django.utils.translation import gettext as _

from bohai.kernel.accounts import actions as accounts
from bohai.kernel.accounts.models import AccountKind, User
from bohai.kernel.accounts.roles import reference_roles
from bohai.kernel.bootstrap.contributions import contributed_demo_usernames
from bohai.kernel.identities.models import EntityType, LegalEntity, Person
from bohai.kernel.organisations.models import Organisation, OrganisationKind, Position
from bohai.kernel.regions.models import Level, Region

from .actions import StaffAccount, create_staff_accounts_bulk, grant_superuser
from .generators import Names

DEFAULT_PASSWORD = "Bohai@2026"
COUNTY_OFFICER_REGION = "130921"  # 沧县
CLERK_REGION = "130903"  # 运河区, the city seat
UNIT_STAFF_KINDS = (OrganisationKind.GOVERNMENT, OrganisationKind.DEPARTMENT, OrganisationKind.CENTRE)
UNIT_STAFF_POSITIONS = {
    OrganisationKind.GOVERNMENT: "副县长（副区长、副市长）", OrganisationKind.DEPARTMENT: "科员",
    OrganisationKind.CENTRE: "工作人员",
}


def demo_password() -> str:
    return os.environ.get("BOHAI_DEMO_PASSWORD") or DEFAULT_PASSWORD


@dataclass(frozen=True)
class NamedAccount:
    username: str
    role_code: str
    function: str  # the organisation's function; "township_office" for the grid worker
    position: str
    where: str  # "city", "county" (沧县), "seat" (运河区) or "grid"
    narrowed_to_unit: bool = False
    superuser: bool = False


NAMED_STAFF = (
    NamedAccount("admin", "platform_admin", "data_services", "局长", "city", superuser=True),
    NamedAccount("auditor", "auditor", "data_services", "科员", "city"),
    NamedAccount("data_officer", "data_officer", "data_services", "业务科科长", "city"),
    NamedAccount("city_officer", "city_officer", "civil_affairs", "业务科科长", "city"),
    NamedAccount("county_officer", "county_officer", "civil_affairs", "业务科科长", "county"),
    NamedAccount("clerk", "window_clerk", "administrative_approval", "窗口受理员", "seat"),
    NamedAccount("dept_head", "department_head", "civil_affairs", "局长", "city", narrowed_to_unit=True),
    NamedAccount("grid_worker", "grid_worker", "township_office", "网格员", "grid"),
    NamedAccount("hotline", "hotline_operator", "hotline", "工作人员", "city"),
    NamedAccount("ops_duty", "ops_duty_officer", "grid_command", "值班长", "city"),
)
RESIDENT, AGENT = "resident", "agent"
NAMED_USERNAMES = tuple(a.username for a in NAMED_STAFF) + (RESIDENT, AGENT)


def ensure_demo_accounts(*, actor, password: str, seed: int) -> int:
    """Create the named accounts that are missing; returns how many were created."""
    existing = set(User.objects.filter(username__in=NAMED_USERNAMES).values_list("username", flat=True))
    names, rng = Names(seed), random.Random(seed)
    created = 0
    for spec in NAMED_STAFF:
        display_name = names.person(rng, "male" if rng.random() < 0.5 else "female")
        if spec.username not in existing:
            _create_named_staff(spec, actor=actor, password=password, display_name=display_name)
            created += 1
    if RESIDENT not in existing and (person := _person_without_account()):
        accounts.create_resident_account(actor=actor, username=RESIDENT, password=password, person=person)
        created += 1
    entity = LegalEntity.objects.filter(entity_type=EntityType.ENTERPRISE).order_by("id").first()
    if AGENT not in existing and entity and (person := _person_without_account()):
        accounts.create_agent_account(actor=actor, username=AGENT, password=password, person=person,
                                      legal_entity=entity)
        created += 1
    return created


def _person_without_account() -> Person | None:
    """The first demo resident not bound to an account (one account per identity)."""
    return Person.objects.filter(account__isnull=True).order_by("id").first()


def _create_named_staff(spec: NamedAccount, *, actor, password: str, display_name: str) -> User:
    unit, region = _place(spec)
    position = Position.objects.filter(organisation=unit, title=spec.position).first()
    user = accounts.create_staff_account(actor=actor, username=spec.username, password=password, organisation=unit,
                                         display_name=display_name, position=position)
    accounts.assign_role(user, actor=actor, role_code=spec.role_code, region=region,
                         organisation=unit if spec.narrowed_to_unit else None)
    if spec.superuser:
        grant_superuser(user, actor=actor)
    return user


def _place(spec: NamedAccount) -> tuple[Organisation, Region]:
    """The unit the account works in and the region its role covers."""
    city = Region.objects.get(key=settings.BOHAI_CITY_CODE)
    if spec.where == "grid":
        return _grid_post()
    region = {"city": city, "county": _county(COUNTY_OFFICER_REGION), "seat": _county(CLERK_REGION)}[spec.where]
    unit = (Organisation.objects.filter(region=region, function=spec.function).first()
            or Organisation.objects.filter(region=region).order_by("path").first())
    if unit is None:
        raise LookupError(f"no organisation units in {region}; run `bohai setup` first")
    return unit, region


def _county(code: str) -> Region:
    return (Region.objects.filter(code=code).first()
            or Region.objects.filter(level=Level.COUNTY).order_by("code").first())


def _grid_post() -> tuple[Organisation, Region]:
    """A township office of the city seat and one grid cell in it; the seat's urban management otherwise."""
    seat = _county(CLERK_REGION)
    office = (Organisation.objects.filter(kind=OrganisationKind.TOWNSHIP_OFFICE, region__path__startswith=seat.path)
              .select_related("region").order_by("path").first())
    if office is None:
        unit = Organisation.objects.filter(region=seat, function="urban_management").first() \
            or Organisation.objects.filter(region=seat).order_by("path").first()
        return unit, seat
    grid = Region.objects.filter(level=Level.GRID, path__startswith=office.region.path).order_by("path").first()
    return office, grid or office.region


def ensure_unit_staff(*, actor, password: str, seed: int) -> int:
    """One staff member in each department, government and centre that has no demo account yet."""
    units = list(Organisation.objects.filter(kind__in=UNIT_STAFF_KINDS).select_related("region")
                 .defer("region__boundary").order_by("path"))
    taken = set(User.objects.filter(username__in=[unit_username(u) for u in units]).values_list("username", flat=True))
    positions = {(p.organisation_id, p.title): p for p in Position.objects.filter(organisation__in=units)}
    names, rng = Names(seed), random.Random(seed + 1)
    planned = [
        StaffAccount(unit_username(unit), names.person(rng, "male" if rng.random() < 0.55 else "female"), unit,
                     positions.get((unit.pk, UNIT_STAFF_POSITIONS[unit.kind])),
                     "city_officer" if unit.region.level == Level.CITY else "county_officer", unit.region)
        for unit in units if unit_username(unit) not in taken
    ]
    return create_staff_accounts_bulk(planned, actor=actor, password=password)


def unit_username(unit: Organisation) -> str:
    return unit.key.lower()


def demo_accounts_table() -> str:
    """The demo accounts as an aligned text table (username, role, scope, password) for the console."""
    usernames = NAMED_USERNAMES + contributed_demo_usernames()
    role_names = {spec.code: spec.name for spec in reference_roles()}
    users = {u.username: u for u in User.objects.filter(username__in=usernames)
             .select_related("person", "legal_entity", "organisation").prefetch_related("role_assignments__region", "role_assignments__role")}
    rows = [(_("用户名"), _("角色"), _("范围"), _("密码"))]
    for username in usernames:
        user = users.get(username)
        if user is not None:
            rows.append((username, *_role_and_scope(user, role_names), demo_password()))
    table = _aligned(rows)
    staff = User.objects.filter(kind=AccountKind.STAFF).exclude(Q(username__in=usernames)).count()
    if staff:
        table += "\n" + _("另有 %(n)d 个机构工作人员账户，用户名为机构标识（如 %(example)s），密码相同。") % {
            "n": staff, "example": f"{settings.BOHAI_CITY_CODE}-civil_affairs"}
    return table


def _role_and_scope(user: User, role_names: dict[str, str]) -> tuple[str, str]:
    if user.kind == AccountKind.RESIDENT:
        return _("居民"), _("实名：%(name)s") % {"name": user.person.name} if user.person else ""
    if user.kind == AccountKind.ENTERPRISE_AGENT:
        return _("企业经办人"), user.legal_entity.name if user.legal_entity else ""
    assignments = list(user.role_assignments.all())
    roles = "、".join(role_names.get(a.role.code, a.role.code) for a in assignments)
    if user.is_superuser:
        roles = "、".join(filter(None, [_("超级用户"), roles]))
    scope = "、".join(a.region.name for a in assignments)
    unit = user.organisation.name if user.organisation else ""
    return roles, f"{scope}（{unit}）" if unit else scope


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _aligned(rows: list[tuple[str, ...]]) -> str:
    widths = [max(_width(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell + " " * (widths[i] - _width(cell)) for i, cell in enumerate(row)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
