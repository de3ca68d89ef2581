"""Fixtures of the licence tests: the reference types, issuing units in 沧县 and 青县, holders."""
import itertools
from datetime import date

import pytest

from bohai.kernel.identities import actions as identities
from bohai.kernel.identities.validators import make_credit_code, make_resident_id
from bohai.licenses import actions
from bohai.testing.fixtures import organisation_in

_sequence = itertools.count(1)


@pytest.fixture(autouse=True)
def var_dir(settings, tmp_path):
    """Rendered PDFs go to a scratch VAR_DIR, not the repository's var/."""
    settings.VAR_DIR = tmp_path
    return tmp_path


@pytest.fixture
def license_types(db):
    actions.load_license_types(actor="test")


@pytest.fixture
def units(cangzhou):
    """Issuing units: 沧县 and 青县 public security and market regulation."""
    return {
        "cang_police": organisation_in(cangzhou["cang"], "public_security"),
        "qing_police": organisation_in(cangzhou["qing"], "public_security"),
        "cang_market": organisation_in(cangzhou["cang"], "market_regulation"),
        "qing_market": organisation_in(cangzhou["qing"], "market_regulation"),
    }


def new_person(region, name="张小明"):
    number = make_resident_id(region.code, date(1988, 5, 17), 2 * next(_sequence) + 1)
    return identities.register_person(actor="test", id_number=number, name=name, region=region,
                                      address="沧县旧州镇东街 8 号")


def new_entity(region, name="沧县渤海管道有限公司"):
    code = make_credit_code("91", region.code, f"{20000000 + 7 * next(_sequence):08d}")
    return identities.register_legal_entity(actor="test", credit_code=code, name=name, region=region)


@pytest.fixture
def person(cangzhou):
    return new_person(cangzhou["cang"])


@pytest.fixture
def entity(cangzhou):
    return new_entity(cangzhou["cang"])


ID_CARD_FIELDS = {"gender": "男", "ethnicity": "汉", "birth_date": "1988-05-17", "address": "沧县旧州镇东街 8 号"}
BUSINESS_FIELDS = {"entity_type": "有限责任公司", "legal_representative": "王建国", "registered_capital": "500万元",
                   "established_on": "2016-03-01", "address": "沧县经济开发区 1 号", "business_scope": "管道及管件制造、销售"}


def issue_id_card(person, unit, **extra):
    return actions.issue_license(type_code="resident_id_card", issuing_organisation=unit, holder_person=person,
                                 fields=ID_CARD_FIELDS, actor="test", **extra)


def issue_business_licence(entity, unit, **extra):
    return actions.issue_license(type_code="business_licence", issuing_organisation=unit, holder_entity=entity,
                                 fields=BUSINESS_FIELDS, actor="test", **extra)


@pytest.fixture
def id_card(license_types, units, person):
    return issue_id_card(person, units["cang_police"], service_item_code="11130900MB0000000X-001",
                         application_number="BH2026000001")
