"""Audited actions that store demo data in batches (one audit record per batch)."""
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db.models import F

from bohai.kernel.accounts.models import AccountKind, Role, RoleAssignment, User
from bohai.kernel.audit.recording import record
from bohai.kernel.audit.service import service_action
from bohai.kernel.identities import actions as identities
from bohai.kernel.identities.models import LegalEntity, Person

from .models import DemoDataset


@service_action
def store_demo_persons(dataset: DemoDataset, people: list, *, actor) -> int:
    """Register the batch's residents not registered yet (one IN query); advance the stream marker."""
    indexes = [person.id_index for person in people]
    known = set(Person.objects.filter(id_number_index__in=indexes).values_list("id_number_index", flat=True))
    fresh = [person for person, index in zip(people, indexes) if index not in known]
    identities.register_persons_bulk(fresh, actor=actor, source=f"demo seed {dataset.seed}")
    DemoDataset.objects.filter(pk=dataset.pk).update(persons_generated=F("persons_generated") + len(people))
    return len(fresh)


@service_action
def store_demo_entities(dataset: DemoDataset, entities: list[LegalEntity], *, actor) -> int:
    known = set(LegalEntity.objects.filter(credit_code__in=[e.credit_code for e in entities])
                .values_list("credit_code", flat=True))
    fresh = [e for e in entities if e.credit_code not in known]
    identities.register_legal_entities_bulk(fresh, actor=actor, source=f"demo seed {dataset.seed}")
    DemoDataset.objects.filter(pk=dataset.pk).update(entities_generated=F("entities_generated") + len(entities))
    return len(fresh)


@dataclass(frozen=True)
class StaffAccount:
    username: str
    display_name: str
    organisation: object
    position: object
    role_code: str
    region: object


@service_action
def create_staff_accounts_bulk(accounts: list[StaffAccount], *, actor, password: str) -> int:
    """Hundreds of demo staff accounts sharing one password, with their roles, in one audited batch.

    accounts.actions.create_staff_account hashes each password (Argon2, a tenth of a second each);
    the demo hashes its one password once and stores the accounts in bulk.
    """
    if not accounts:
        return 0
    try:
        validate_password(password)
    except ValidationError as error:
        raise ValidationError({"password": error.messages})
    hashed = make_password(password)
    users = User.objects.bulk_create([
        User(username=a.username, password=hashed, kind=AccountKind.STAFF, is_staff=True, display_name=a.display_name,
             organisation=a.organisation, position=a.position)
        for a in accounts
    ])
    roles = {role.code: role for role in Role.objects.filter(code__in={a.role_code for a in accounts})}
    by_name = {user.username: user for user in User.objects.filter(username__in=[a.username for a in accounts])}
    RoleAssignment.objects.bulk_create([
        RoleAssignment(user=by_name[a.username], role=roles[a.role_code], region=a.region) for a in accounts
    ])
    record(actor=actor, action="accounts.user.bulk_create", target_type="accounts.user",
           after={"count": len(users), "source": "demo", "first": accounts[0].username, "last": accounts[-1].username,
                  "roles": sorted(roles)})
    return len(users)


@service_action
def grant_superuser(user: User, *, actor) -> User:
    user.is_superuser = True
    user.save(update_fields=["is_superuser", "updated_at"])
    record(actor=actor, action="accounts.user.grant_superuser", target=user, after={"is_superuser": True})
    return user
