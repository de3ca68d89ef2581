"""What other systems ask the licence library (keep these names: services and others call them)."""
from django.db.models import Q
from django.utils import timezone

from bohai.kernel.audit.recording import record
from bohai.kernel.audit.service import service_action
from bohai.kernel.crypto.fields import blind_index
from bohai.kernel.identities.validators import mask_resident_id
from bohai.kernel.organisations.directory import counterpart

from .models import License, LicenseStatus, LicenseType


def held_by(user) -> Q:
    """The licences a signed-in user holds: as a person, and for the organisation they act for."""
    condition = Q(pk__in=[])
    if getattr(user, "person_id", None):
        condition |= Q(holder_person_id=user.person_id)
    if getattr(user, "legal_entity_id", None):
        condition |= Q(holder_entity_id=user.legal_entity_id)
    return condition


def license_types():
    """Every licence type, by code."""
    return LicenseType.objects.order_by("code")


def valid_licenses_of(*, person=None, legal_entity=None):
    """The holder's licences that are valid today: status 01 and within their validity range."""
    if (person is None) == (legal_entity is None):
        raise TypeError("valid_licenses_of needs exactly one of person= or legal_entity=")
    holder = Q(holder_person=person) if person is not None else Q(holder_entity=legal_entity)
    return License.objects.filter(holder).filter(valid_today()).select_related("license_type")


def valid_today() -> Q:
    """Status 01 and today within the validity range (the expiry job may not have run yet)."""
    today = timezone.localdate()
    return (Q(status=LicenseStatus.VALID, valid_from__lte=today)
            & (Q(valid_until__isnull=True) | Q(valid_until__gte=today)))


def issuing_unit(type_code: str, region):
    """The unit that issues this type for a place: its own county's department, else the nearest above."""
    license_type = LicenseType.objects.get(code=type_code)
    return counterpart(license_type.issuing_function, region)


def normalise_identity_number(id_number: str) -> str:
    return "".join((id_number or "").split()).upper()


@service_action
def licenses_of_holder(*, id_number: str, actor, purpose: str = ""):
    """Licences in the actor's scope held by the person or organisation with this identity number.

    A lookup by personal data, so it is audited (the masked number only); exact match through the
    blind index, never by decrypting.
    """
    number = normalise_identity_number(id_number)
    found = License.objects.restrict(actor, "view").filter(holder_id_index=blind_index(number))
    record(actor=actor, action="licenses.query_by_holder", target_type="licenses.license",
           after={"holder_id_masked": mask_resident_id(number) if number else "", "purpose": purpose[:200],
                  "found": found.count()})
    return found
