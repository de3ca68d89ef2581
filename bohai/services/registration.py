"""Market-entity registration (企业设立登记, 个体工商户设立登记): the applicant is a person, the licence's
holder is the business the decision brings into being, so issuing it first registers that business."""
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from bohai.kernel.identities import actions as identities
from bohai.kernel.identities.models import EntityType
from bohai.kernel.identities.validators import make_credit_code
from bohai.kernel.regions.models import Region

# The organisation-code body of new registrations: "MA" and six characters of the credit-code alphabet.
CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


@dataclass(frozen=True)
class NewEntity:
    name_field: str
    region_field: str
    registration_type: str  # the code's first two characters: 91 enterprise, 92 individual business
    entity_type: str


NEW_ENTITIES = {
    "business_licence": NewEntity("company_name", "region", "91", EntityType.ENTERPRISE),
    "individual_business_licence": NewEntity("business_name", "premises_region", "92", EntityType.INDIVIDUAL_BUSINESS),
}


def registers_entity(license_type, application) -> bool:
    return license_type.code in NEW_ENTITIES and application.applicant_entity_id is None


def register_new_entity(application, license_type, *, actor):
    spec = NEW_ENTITIES[license_type.code]
    form = application.form_data
    name = (form.get(spec.name_field) or "").strip()
    if not name:
        raise ValidationError({f"form.{spec.name_field}": [_("设立登记须有名称，才能登记新主体并颁发执照")]})
    region = Region.objects.filter(key=form.get(spec.region_field) or "").first() or application.region
    division = _division_code(region)
    credit_code = make_credit_code(spec.registration_type, division, "MA" + _body(application.pk))
    return identities.register_legal_entity(
        actor=actor, credit_code=credit_code, name=name, entity_type=spec.entity_type,
        legal_representative=form.get("legal_representative") or application.applicant_name,
        address=form.get("address") or form.get("premises") or "", region=region,
        established_on=application.decided_at.date() if application.decided_at else None,
    )


def _division_code(region: Region) -> str:
    for key in reversed(region.path.strip("/").split("/")):
        if len(key) == 6 and key.isdigit():
            return key
    return application_city_code()


def application_city_code() -> str:
    from django.conf import settings

    return settings.BOHAI_CITY_CODE


def _body(number: int) -> str:
    characters = []
    for _position in range(6):
        number, digit = divmod(number, len(CODE_ALPHABET))
        characters.append(CODE_ALPHABET[digit])
    return "".join(reversed(characters))
