"""Actions on accounts and role assignments."""
from django.contrib.auth.models import Permission
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from bohai.kernel.audit.recording import record, snapshot
from bohai.kernel.audit.service import service_action

from .models import AccountKind, Role, RoleAssignment, User
from .roles import reference_roles


def _permissions(codes) -> list[Permission]:
    wanted = {tuple(code.split(".", 1)) for code in codes}
    found = [p for p in Permission.objects.select_related("content_type") if (p.content_type.app_label, p.codename) in wanted]
    missing = wanted - {(p.content_type.app_label, p.codename) for p in found}
    if missing:
        raise ValueError(f"unknown permissions: {sorted(missing)}")
    return found


@service_action
def ensure_reference_roles(*, actor) -> int:
    """Create or update the reference roles (idempotent); returns how many changed."""
    changed = 0
    for spec in reference_roles():
        role, created = Role.objects.get_or_create(code=spec.code, defaults={"name": spec.name})
        wanted = set(_permissions(spec.permissions))
        if created or set(role.permissions.all()) != wanted or role.requires_two_factor != spec.requires_two_factor:
            role.name, role.description, role.requires_two_factor = spec.name, spec.description, spec.requires_two_factor
            role.save()
            role.permissions.set(wanted)
            record(actor=actor, action="accounts.role.define", target=role, after={"permissions": sorted(spec.permissions)})
            changed += 1
    return changed


def _check_username(username: str) -> str:
    username = (username or "").strip()
    if not username:
        raise ValidationError({"username": [_("必填")]})
    if User.objects.filter(username=username).exists():
        raise ValidationError({"username": [_("用户名已被使用")]})
    return username


def _new_user(username: str, password: str, **fields) -> User:
    user = User(username=_check_username(username), **fields)
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise ValidationError({"password": error.messages})
    user.set_password(password)
    user.save()
    return user


@service_action
def create_staff_account(*, actor, username: str, password: str, organisation, display_name: str = "", position=None, roles=()) -> User:
    """A staff account in an organisation unit; `roles` are role codes assigned within the unit's region."""
    user = _new_user(username, password, kind=AccountKind.STAFF, organisation=organisation, position=position,
                     display_name=display_name, is_staff=True)
    record(actor=actor, action="accounts.user.create", target=user, after=snapshot(user))
    for role_code in roles:
        assign_role(user, actor=actor, role_code=role_code, region=organisation.region)
    return user


@service_action
def create_resident_account(*, actor, username: str, password: str, person) -> User:
    """Real-name binding: one account per identity."""
    if User.objects.filter(person=person).exists():
        raise ValidationError({"person": [_("该身份已绑定账户，一个身份只能有一个账户")]})
    user = _new_user(username, password, kind=AccountKind.RESIDENT, person=person, display_name=person.name)
    record(actor=actor, action="accounts.user.create", target=user, after=snapshot(user))
    return user


@service_action
def create_agent_account(*, actor, username: str, password: str, person, legal_entity) -> User:
    """An enterprise agent: a real person acting for a legal entity."""
    if User.objects.filter(person=person).exists():
        raise ValidationError({"person": [_("该身份已绑定账户，一个身份只能有一个账户")]})
    user = _new_user(username, password, kind=AccountKind.ENTERPRISE_AGENT, person=person,
                     legal_entity=legal_entity, display_name=person.name)
    record(actor=actor, action="accounts.user.create", target=user, after=snapshot(user))
    return user


@service_action
def assign_role(user: User, *, actor, role_code: str, region, organisation=None) -> RoleAssignment:
    role = Role.objects.filter(code=role_code).first()
    if role is None:
        raise ValidationError({"role": [_("角色 %(code)s 不存在") % {"code": role_code}]})
    if user.kind != AccountKind.STAFF:
        raise ValidationError({"role": [_("只有工作人员账户可以授予角色")]})
    assignment, created = RoleAssignment.objects.get_or_create(user=user, role=role, region=region, organisation=organisation)
    user.forget_access()
    if created:
        record(actor=actor, action="accounts.role.assign", target=user,
               after={"role": role.code, "region": region.key, "organisation": organisation.key if organisation else None})
    return assignment


@service_action
def revoke_role(assignment: RoleAssignment, *, actor) -> None:
    record(actor=actor, action="accounts.role.revoke", target=assignment.user,
           before={"role": assignment.role.code, "region": assignment.region.key})
    assignment.delete()
    assignment.user.forget_access()
