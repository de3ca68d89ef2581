import pytest
from django.core.management import call_command

from bohai.kernel.accounts.models import User
from bohai.kernel.audit.models import AuditRecord
from bohai.kernel.demo.accounts import NAMED_USERNAMES, demo_accounts_table
from bohai.kernel.identities.models import LegalEntity, Person
from bohai.kernel.identities.validators import validate_credit_code, validate_resident_id
from bohai.kernel.organisations.actions import load_reference_organisations
from bohai.kernel.organisations.models import Organisation
from bohai.kernel.regions.models import Region

COUNTIES = {"130903": "运河区", "130921": "沧县", "130925": "盐山县"}


@pytest.fixture
def city(db):
    city = Region.objects.create(key="130900", code="130900", name="沧州市", level="city", path="/130900/")
    for code, name in COUNTIES.items():
        Region.objects.create(key=code, code=code, name=name, level="county", parent=city, path=f"/130900/{code}/",
                              population=300_000)
    load_reference_organisations(actor="test")
    return city


def run_demo(**options):
    call_command("demo", "--persons", "300", "--entities", "50", "--quiet", "--kernel-only", **options)


def test_residents_have_valid_numbers_of_their_own_county(city):
    run_demo()
    persons = list(Person.objects.select_related("region"))
    assert len(persons) == 300
    for person in persons:
        number = person.id_number
        resident = validate_resident_id(number)
        assert resident.division_code == person.region.path.strip("/").split("/")[1]
        assert resident.gender == person.gender and resident.birth_date == person.birth_date
        assert 2 <= len(person.name) <= 4
    assert {p.region.code for p in persons} == set(COUNTIES)


def test_entities_have_valid_codes_of_their_county(city):
    run_demo()
    entities = list(LegalEntity.objects.select_related("region"))
    assert len(entities) == 50
    for entity in entities:
        code = validate_credit_code(entity.credit_code)
        assert code.division_code == entity.region.code
        assert not code.pilot_override and entity.name.startswith(("沧州市", "河北", *COUNTIES.values()))
    assert {e.credit_code[:2] for e in entities} >= {"91", "92"}


def test_every_role_and_unit_has_an_account_that_can_sign_in(city, client):
    run_demo()
    for username in NAMED_USERNAMES:
        assert client.login(username=username, password="Bohai@2026"), username
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.role_assignments.get().role.code == "platform_admin"
    county = User.objects.get(username="county_officer").role_assignments.get()
    assert (county.role.code, county.region.code) == ("county_officer", "130921")
    assert User.objects.get(username="clerk").organisation.key == "130903-administrative_approval"
    assert User.objects.get(username="resident").person is not None
    assert User.objects.get(username="agent").legal_entity is not None
    units = Organisation.objects.filter(kind__in=["government", "department", "centre"])
    unit_staff = User.objects.filter(organisation__in=units).exclude(username__in=NAMED_USERNAMES)
    assert unit_staff.count() == units.count()
    county_staff = unit_staff.get(username="130925-civil_affairs").role_assignments.get()
    assert (county_staff.role.code, county_staff.region.code) == ("county_officer", "130925")


def test_second_run_adds_nothing_and_the_table_lists_the_accounts(city, capsys):
    run_demo()
    counts = (Person.objects.count(), LegalEntity.objects.count(), User.objects.count(), AuditRecord.objects.count())
    run_demo()
    assert (Person.objects.count(), LegalEntity.objects.count(), User.objects.count(),
            AuditRecord.objects.count()) == counts
    table = demo_accounts_table()
    assert "county_officer" in table and "沧县" in table and "Bohai@2026" in table
    assert "admin" in capsys.readouterr().out


def test_a_larger_run_continues_the_same_stream(city):
    run_demo()
    first = set(Person.objects.values_list("id_number_index", flat=True))
    call_command("demo", "--persons", "500", "--entities", "50", "--quiet", "--kernel-only")
    assert Person.objects.count() == 500
    assert first < set(Person.objects.values_list("id_number_index", flat=True))


def test_same_seed_gives_the_same_people(city):
    from bohai.kernel.demo.generators import PersonStream, counties_with_places

    counties = counties_with_places()
    first = [(p.resident_id.number, p.name, p.address) for _, p in zip(range(50), PersonStream(7, counties))]
    again = [(p.resident_id.number, p.name, p.address) for _, p in zip(range(50), PersonStream(7, counties))]
    other = [p.resident_id.number for _, p in zip(range(50), PersonStream(8, counties))]
    assert first == again and [n for n, *_ in first] != other
