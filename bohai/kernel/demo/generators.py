"""Deterministic streams of demo residents and legal entities.

Each stream is a pure function of the seed and the county list: the first 20,000 residents of the
city-scale stream are the demo-scale residents, so a larger run continues a smaller one, and a run
interrupted half-way resumes by replaying the stream up to the point reached. Identity numbers
carry the resident's county code and are unique by construction (a counter per county, birth date
and sex), credit codes are unique by a set of those issued.
"""
import itertools
import random
from bisect import bisect
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from faker import Faker

from bohai.kernel.identities import actions as identities
from bohai.kernel.identities import cleaning, validators
from bohai.kernel.identities.models import LegalEntity
from bohai.kernel.regions.models import Level, Region

from . import vocabulary as words

# Ages are counted back from a fixed day, so that the data does not depend on when it is generated.
REFERENCE_DATE = date(2026, 1, 1)
SEQUENCES_PER_SEX = 500  # odd sequence numbers for men, even for women
ENTITY_TYPES = (("91", 76), ("92", 14), ("93", 4), ("12", 3), ("52", 3))


@dataclass(frozen=True)
class County:
    region: Region
    weight: float
    places: tuple[Region, ...]  # where its residents live: demo communities or townships, else the county

    @property
    def code(self) -> str:
        return self.region.code


def counties_with_places() -> list[County]:
    """County-level units with a division code, weighted by population, with their deepest demo places."""
    regions = Region.objects.defer("boundary")
    counties = list(regions.filter(level=Level.COUNTY).exclude(code=None).exclude(code="").order_by("code"))
    below: dict[str, dict[str, list[Region]]] = {}
    for place in regions.filter(level__in=[Level.TOWNSHIP, Level.COMMUNITY]).order_by("path"):
        for county in counties:
            if place.path.startswith(county.path):
                below.setdefault(county.code, {}).setdefault(place.level, []).append(place)
    return [
        County(county, float(county.population or 100_000),
               tuple(_deepest(below.get(county.code, {})) or [county]))
        for county in counties
    ]


def _deepest(levels: dict[str, list[Region]]) -> list[Region]:
    return levels.get(Level.COMMUNITY) or levels.get(Level.TOWNSHIP) or []


class Names:
    """Chinese names from Faker's zh_CN lists, drawn with the stream's own random generator (fast)."""

    def __init__(self, seed: int):
        fake = Faker("zh_CN")
        fake.seed_instance(seed)
        providers = {p.__module__.rsplit(".", 1)[0]: p for p in fake.get_providers()}
        person = providers["faker.providers.person"]
        self.surnames = list(person.last_names)
        self.surname_weights = list(itertools.accumulate(person.last_names.values()))
        self.male = list(person.first_names_male)
        self.female = list(person.first_names_female)
        # Trade names (字号) of two auspicious characters, in an order fixed by the seed.
        trade_names = [a + b for a in words.TRADE_NAME_CHARACTERS for b in words.TRADE_NAME_CHARACTERS if a != b]
        self.trade_names = fake.random_sample(trade_names, length=len(trade_names))

    def person(self, rng: random.Random, gender: str) -> str:
        surname = self.surnames[bisect(self.surname_weights, rng.random() * self.surname_weights[-1])]
        given = self.male if gender == "male" else self.female
        first = given[int(rng.random() * len(given))]
        if len(first) == 1 and rng.random() < 0.6:
            first += given[int(rng.random() * len(given))][-1]
        return surname + first


def _weighted(rng: random.Random, cumulative: list[float]) -> int:
    return bisect(cumulative, rng.random() * cumulative[-1])


def phone(rng: random.Random) -> str:
    return words.MOBILE_PREFIXES[int(rng.random() * len(words.MOBILE_PREFIXES))] + f"{rng.randrange(10**8):08d}"


def address(rng: random.Random, county: County, place: Region) -> str:
    number = rng.randint(1, 399)
    if county.code in ("130902", "130903"):
        estate = words.ESTATES[int(rng.random() * len(words.ESTATES))]
        street = words.CITY_STREETS[int(rng.random() * len(words.CITY_STREETS))]
        building, unit, floor = rng.randint(1, 30), rng.randint(1, 4), rng.randint(1, 18)
        return f"河北省沧州市{county.region.name}{street}{number}号{estate}{building}号楼{unit}单元{floor}0{rng.randint(1, 4)}室"
    if rng.random() < 0.55:
        town = place.name if place.level != Level.COUNTY else words.SEAT_TOWNS.get(county.code, "")
        street = words.COUNTY_STREETS[int(rng.random() * len(words.COUNTY_STREETS))]
        return f"河北省沧州市{county.region.name}{town}{street}{number}号"
    village = words.VILLAGE_STEMS[int(rng.random() * len(words.VILLAGE_STEMS))] + \
        words.VILLAGE_SUFFIXES[int(rng.random() * len(words.VILLAGE_SUFFIXES))]
    return f"河北省沧州市{county.region.name}{village}村{number}号"


class PersonStream:
    """Residents as PersonFields, ready for identities.register_persons_bulk."""

    def __init__(self, seed: int, counties: list[County]):
        if not counties:
            raise ValueError("no county-level regions with a division code are loaded")
        self.rng = random.Random(seed)
        self.names = Names(seed)
        self.counties = counties
        self.county_weights = list(itertools.accumulate(c.weight for c in counties))
        self.age_weights = list(itertools.accumulate(words.AGE_PYRAMID))
        self.issued: dict[tuple[int, int, int], int] = {}

    def __iter__(self) -> Iterator[cleaning.PersonFields]:
        while True:
            yield self.next_person()

    def next_person(self) -> cleaning.PersonFields:
        rng = self.rng
        county_index = _weighted(rng, self.county_weights)
        county = self.counties[county_index]
        gender = "male" if rng.random() < 0.508 else "female"
        birth_date = self._birth_date()
        sequence = self._sequence(county_index, birth_date, gender)
        first17 = f"{county.code}{birth_date:%Y%m%d}{sequence:03d}"
        resident_id = validators.validate_resident_id(first17 + validators.resident_id_check_char(first17))
        place = county.places[int(rng.random() * len(county.places))]
        mobile = phone(rng) if rng.random() < 0.92 else ""
        return cleaning.PersonFields(resident_id, self.names.person(rng, gender), mobile,
                                     address(self.rng, county, place), place)

    def _birth_date(self) -> date:
        group = _weighted(self.rng, self.age_weights)
        age_days = int((group * 5 + self.rng.random() * 5) * 365.2425)
        return REFERENCE_DATE - timedelta(days=max(age_days, 1))

    def _sequence(self, county_index: int, birth_date: date, gender: str) -> int:
        """The next unused sequence for this county, day and sex, in a scrambled but fixed order."""
        parity = 1 if gender == "male" else 0
        key = (county_index, birth_date.toordinal(), parity)
        issued = self.issued.get(key, 0)
        if issued >= SEQUENCES_PER_SEX:
            raise OverflowError(f"more than {SEQUENCES_PER_SEX} residents of one sex born on {birth_date} in one county")
        self.issued[key] = issued + 1
        return 2 * ((issued * 37 + 11) % SEQUENCES_PER_SEX) + parity


class EntityStream:
    """Legal entities as unsaved LegalEntity objects, ready for identities.register_legal_entities_bulk."""

    def __init__(self, seed: int, counties: list[County]):
        if not counties:
            raise ValueError("no county-level regions with a division code are loaded")
        # A stream of its own, so that changing the number of residents does not change the entities.
        self.rng = random.Random(seed * 7919 + 1)
        self.names = Names(seed)
        self.counties = counties
        self.county_weights = list(itertools.accumulate(c.weight for c in counties))
        self.type_weights = list(itertools.accumulate(weight for _code, weight in ENTITY_TYPES))
        self.form_weights = list(itertools.accumulate(weight for _form, weight in words.ENTERPRISE_FORMS))
        self.issued: set[str] = set()

    def __iter__(self) -> Iterator[LegalEntity]:
        while True:
            yield self.next_entity()

    def next_entity(self) -> LegalEntity:
        rng = self.rng
        county = self.counties[_weighted(rng, self.county_weights)]
        authority_type = ENTITY_TYPES[_weighted(rng, self.type_weights)][0]
        code = self._credit_code(authority_type, county.code)
        industry = self._industry(county)
        place = county.places[int(rng.random() * len(county.places))]
        values = {
            "credit_code": code.code,
            "entity_type": cleaning.entity_type_for(code),
            "pilot_code_override": False,
            "region": place,
            "name": self._name(authority_type, county, industry, place)[:200],
            "legal_representative": self.names.person(rng, "male" if rng.random() < 0.7 else "female"),
            "address": address(rng, county, place),
            "industry": industry if authority_type[0] == "9" else "",
            "phone": phone(rng),
        }
        entity = identities.legal_entity_from_values(values)
        entity.established_on = REFERENCE_DATE - timedelta(days=int(rng.triangular(30, 40 * 365, 3 * 365)))
        entity.registered_capital = self._capital(authority_type)
        return entity

    def _credit_code(self, authority_type: str, division_code: str) -> validators.CreditCode:
        alphabet = validators.CREDIT_CODE_ALPHABET
        while True:
            body = "MA" + "".join(alphabet[int(self.rng.random() * len(alphabet))] for _ in range(6))
            first17 = authority_type + division_code + body + validators.organisation_code_check_char(body)
            code = first17 + validators.credit_code_check_char(first17)
            if code not in self.issued:
                self.issued.add(code)
                return validators.validate_credit_code(code)

    def _industry(self, county: County) -> str:
        local = words.COUNTY_INDUSTRIES.get(county.code, ())
        pool = local if local and self.rng.random() < 0.6 else words.COMMON_INDUSTRIES
        return pool[int(self.rng.random() * len(pool))]

    def _trade_name(self) -> str:
        return self.names.trade_names[int(self.rng.random() * len(self.names.trade_names))]

    def _name(self, authority_type: str, county: County, industry: str, place: Region) -> str:
        rng, county_name = self.rng, county.region.name
        if authority_type == "91":
            prefix = f"沧州市{county_name}" if county.code in ("130902", "130903") else county_name
            if rng.random() < 0.1:
                prefix = "河北"
            form = words.ENTERPRISE_FORMS[_weighted(rng, self.form_weights)][0]
            return f"{prefix}{self._trade_name()}{industry}{form}"
        if authority_type == "92":
            owner = self.names.person(rng, "male")
            shop = words.SHOP_FORMS[int(rng.random() * len(words.SHOP_FORMS))]
            return f"{county_name}{owner}{industry}{shop}"
        if authority_type == "93":
            product = words.COOPERATIVE_PRODUCTS[int(rng.random() * len(words.COOPERATIVE_PRODUCTS))]
            where = place.name if place.level != Level.COUNTY else self._trade_name()
            return f"{county_name}{where}{product}专业合作社"
        if authority_type == "12":
            pattern = words.PUBLIC_INSTITUTIONS[int(rng.random() * len(words.PUBLIC_INSTITUTIONS))]
            return county_name + pattern.format(n=rng.randint(1, 12))
        pattern = words.SOCIAL_ORGANISATIONS[int(rng.random() * len(words.SOCIAL_ORGANISATIONS))]
        return county_name + pattern.format(industry=industry, trade=self._trade_name())

    def _capital(self, authority_type: str):
        if authority_type == "92":
            return None
        return self.rng.choice((10, 30, 50, 100, 200, 300, 500, 1000, 2000, 5000, 10000))
