"""Actions on the identity registers (一号): natural persons and legal entities."""
import functools

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bohai.kernel.audit.recording import record, snapshot
from bohai.kernel.audit.service import service_action
from bohai.kernel.crypto.fields import blind_index, encrypt

from . import cleaning, validators
from .models import LegalEntity, Person


def find_person(id_number: str) -> Person | None:
    """Exact lookup by identity number through the blind index (no decryption).

    The hottest lookup of the platform: a fixed statement, because compiling the ORM query
    costs about twenty times what the database spends finding the row.
    """
    normalised = (id_number or "").strip().upper()
    statement = _person_by_index_statement(connection.ops.quote_name)
    return next(iter(Person.objects.raw(statement, [blind_index(normalised)])), None)


@functools.lru_cache(maxsize=4)
def _person_by_index_statement(quote) -> str:
    return (f"SELECT * FROM {quote(Person._meta.db_table)} "
            f"WHERE {quote(Person._meta.get_field('id_number_index').column)} = %s")


def find_legal_entity(credit_code: str) -> LegalEntity | None:
    return LegalEntity.objects.filter(credit_code=(credit_code or "").strip().upper()).first()


def stored_person_values(fields: cleaning.PersonFields) -> dict:
    """The columns of a person as stored: encrypted, indexed and masked."""
    number, phone = fields.resident_id.number, fields.phone
    return {
        "id_number_cipher": encrypt(number), "id_number_index": fields.id_index,
        "id_number_masked": validators.mask_resident_id(number), "name": fields.name,
        "gender": fields.resident_id.gender, "birth_date": fields.resident_id.birth_date,
        "phone_cipher": encrypt(phone), "phone_index": blind_index(phone),
        "phone_masked": validators.mask_phone(phone) if phone else "",
        "address": fields.address, "region_id": fields.region.pk,
    }


def person_from_fields(fields: cleaning.PersonFields) -> Person:
    return Person(**stored_person_values(fields))


def _duplicate_person_error() -> ValidationError:
    return ValidationError({"id_number": [_("该身份证号已登记，一个身份只能登记一次")]})


@service_action
def register_person(*, actor, id_number: str, name: str, phone: str = "", address: str = "", region=None) -> Person:
    fields = cleaning.clean_person(
        {"id_number": id_number, "name": name, "phone": phone, "address": address, "region": region}
    )
    if Person.objects.filter(id_number_index=fields.id_index).exists():
        raise _duplicate_person_error()
    person = person_from_fields(fields)
    try:
        with transaction.atomic():
            person.save()
    except IntegrityError:  # a concurrent registration of the same identity won the race
        raise _duplicate_person_error()
    record(actor=actor, action="identities.person.register", target=person, after=snapshot(person))
    return person


@service_action
def update_person(person: Person, *, actor, **changes) -> Person:
    """Change name, phone, address or region; the identity number itself never changes."""
    allowed = {"name", "phone", "address", "region"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationError({name: [_("不能修改此项")] for name in unknown})
    before = snapshot(person)
    if "name" in changes:
        person.name = cleaning.clean_text(changes["name"], "name", required=True, max_length=cleaning.MAX_NAME)
    if "address" in changes:
        person.address = cleaning.clean_text(changes["address"], "address", required=False, max_length=cleaning.MAX_ADDRESS)
    if "phone" in changes:
        phone = cleaning.clean_phone(changes["phone"])
        person.phone_cipher, person.phone_index = encrypt(phone), blind_index(phone)
        person.phone_masked = validators.mask_phone(phone) if phone else ""
    if "region" in changes:
        person.region = cleaning.resolve_region(changes["region"], None)
    person.save()
    record(actor=actor, action="identities.person.update", target=person, before=before, after=snapshot(person))
    return person


@service_action
def reveal_person(person: Person, *, actor, reason: str = "") -> dict:
    """The unmasked identity number and phone, for a user allowed to see them; every view is audited."""
    if not actor.has_perm("identities.unmask_person"):
        raise PermissionDenied(_("没有查看未脱敏个人信息的权限"))
    record(
        actor=actor, action="identities.person.unmask", target=person,
        after={"fields": ["id_number", "phone"], "reason": reason[:200]},
    )
    return {"id_number": person.id_number, "phone": person.phone}


def _stored_person_row(fields: cleaning.PersonFields, adapt_date, now) -> tuple:
    """stored_person_values as the database takes them, with both timestamps."""
    values = stored_person_values(fields)
    values["birth_date"] = adapt_date(values["birth_date"])
    return (*values.values(), now, now)


@service_action
def register_persons_bulk(people: list[cleaning.PersonFields], *, actor, source: str = "") -> int:
    """Store already-validated, not-yet-registered persons in one batch with one audit record; returns how many.

    Rows go to the database with one executemany (COPY on PostgreSQL): Django's bulk_create spends
    about five times the database's own time preparing each value, most of a million-row import.
    """
    if not people:
        return 0
    ops = connection.ops
    now = ops.adapt_datetimefield_value(timezone.now())
    rows = [_stored_person_row(person, ops.adapt_datefield_value, now) for person in people]
    columns = [*stored_person_values(people[0]), "created_at", "updated_at"]
    table, names = ops.quote_name(Person._meta.db_table), ", ".join(ops.quote_name(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY: with Django's client-side binding, executemany sends one statement per row.
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * len(columns))})", rows)
    record(
        actor=actor, action="identities.person.bulk_register", target_type="identities.person",
        after={"count": len(rows), "source": source[:200], "first": rows[0][2], "last": rows[-1][2]},
    )
    return len(rows)


def clean_legal_entity(data: dict, *, allow_pilot_override: bool = False) -> dict:
    errors: dict[str, list[str]] = {}
    values: dict = {}
    try:
        code = cleaning.clean_credit_code(data.get("credit_code", ""), allow_pilot_override=allow_pilot_override)
        values.update(credit_code=code.code, entity_type=cleaning.entity_type_for(code), pilot_code_override=code.pilot_override)
        values["region"] = cleaning.resolve_region(data.get("region"), code.division_code)
    except ValidationError as error:
        errors.update(error.message_dict)
    text_fields = {"name": (True, cleaning.MAX_ENTITY_NAME), "legal_representative": (False, cleaning.MAX_NAME),
                   "address": (False, cleaning.MAX_ADDRESS), "industry": (False, 60)}
    for field, (required, limit) in text_fields.items():
        try:
            values[field] = cleaning.clean_text(data.get(field), field, required=required, max_length=limit)
        except ValidationError as error:
            errors.update(error.message_dict)
    try:
        values["phone"] = cleaning.clean_phone(data.get("phone", ""))
    except ValidationError as error:
        errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    return values


def legal_entity_from_values(values: dict) -> LegalEntity:
    phone = values.pop("phone", "")
    return LegalEntity(
        phone_cipher=encrypt(phone), phone_index=blind_index(phone),
        phone_masked=validators.mask_phone(phone) if phone else "", **values,
    )


@service_action
def register_legal_entity(*, actor, allow_pilot_override: bool = False, **data) -> LegalEntity:
    """Register an organisation by unified social credit code.

    A pilot-area code that fails its check is refused unless an authorised user confirms it.
    """
    if allow_pilot_override and not actor.has_perm("identities.override_pilot_code"):
        raise PermissionDenied(_("没有确认试点统一社会信用代码的权限"))
    values = clean_legal_entity(data, allow_pilot_override=allow_pilot_override)
    if LegalEntity.objects.filter(credit_code=values["credit_code"]).exists():
        raise ValidationError({"credit_code": [_("该统一社会信用代码已登记")]})
    entity = legal_entity_from_values(values)
    entity.established_on = data.get("established_on")
    entity.save()
    record(actor=actor, action="identities.legal_entity.register", target=entity, after=snapshot(entity))
    return entity


@service_action
def register_legal_entities_bulk(entities: list[LegalEntity], *, actor, source: str = "") -> list[LegalEntity]:
    created = LegalEntity.objects.bulk_create(entities)
    if created:
        record(
            actor=actor, action="identities.legal_entity.bulk_register", target_type="identities.legalentity",
            after={"count": len(created), "source": source[:200], "first": created[0].credit_code, "last": created[-1].credit_code},
        )
    return created
