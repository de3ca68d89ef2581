"""Pytest fixtures shared by every app's tests: a small Cangzhou, roles and staff in scopes."""
import itertools

import pytest
from django.test import Client

from bohai.kernel.accounts import actions as account_actions
from bohai.kernel.organisations.models import Organisation
from bohai.kernel.regions.models import Region

TEST_PASSWORD = "Test-pass-2026!"
_usernames = itertools.count(1)


def _region(key, name, level, parent=None):
    region = Region(key=key, code=key if key.isdigit() else None, name=name, level=level, parent=parent,
                    centroid_lng=116.8, centroid_lat=38.3)
    region.path = region.build_path()
    region.save()
    return region


@pytest.fixture(autouse=True)
def stored_files_in_tmp(settings, tmp_path):
    """Uploads in tests go to the test's own directory, never into var/files."""
    settings.BOHAI_FILES_DIR = tmp_path / "files"


@pytest.fixture
def cangzhou(db):
    """The city with two counties (沧县, 青县) and a township in 沧县."""
    city = _region("130900", "沧州市", "city")
    cang = _region("130921", "沧县", "county", city)
    qing = _region("130922", "青县", "county", city)
    township = _region("130921100", "旧州镇", "township", cang)
    return {"city": city, "cang": cang, "qing": qing, "township": township}


@pytest.fixture
def roles(db):
    account_actions.ensure_reference_roles(actor="test")


def organisation_in(region, function="civil_affairs") -> Organisation:
    key = f"{region.key}-{function}"
    existing = Organisation.objects.filter(key=key).first()
    if existing:
        return existing
    return Organisation.objects.create(key=key, name=f"{region.name}{function}", kind="department",
                                       function=function, region=region, path=f"/{key}/")


@pytest.fixture
def make_staff(roles):
    """make_staff("county_officer", region) -> a staff user with that role scoped to the region."""

    def make(role_code: str | None, region, *, organisation=None, superuser=False):
        unit = organisation or organisation_in(region)
        user = account_actions.create_staff_account(
            actor="test", username=f"staff{next(_usernames)}", password=TEST_PASSWORD, organisation=unit,
        )
        if role_code:
            account_actions.assign_role(user, actor="test", role_code=role_code, region=region)
        if superuser:
            user.is_superuser = True
            user.save()
        return user

    return make


def signed_in_client(user) -> Client:
    """A client with a session that has passed two-factor (as after a real TOTP step)."""
    client = Client()
    client.force_login(user)
    session = client.session
    session["two_factor_passed"] = True
    session.save()
    return client


@pytest.fixture
def client_for():
    return signed_in_client


@pytest.fixture(autouse=True)
def fresh_telemetry_caches():
    """Series ids, the ingestion's device directory and the alarm engine's last readings are cached per process;
    each test's rows roll back."""
    from bohai.engines.alarms.lastseen import forget_last_readings
    from bohai.engines.telemetry import store
    from bohai.iot.directory import directory

    store.forget_cached_series()
    directory.clear()
    forget_last_readings()
    yield
    store.forget_cached_series()
    directory.clear()
    forget_last_readings()


@pytest.fixture(autouse=True)
def fresh_working_calendar():
    """The working calendar is kept per process; each test's calendar days roll back."""
    from bohai.engines.workdays.clock import forget_calendar

    forget_calendar()
    yield
    forget_calendar()


@pytest.fixture(autouse=True)
def fresh_unit_directory():
    """The map of units by function is kept per process; each test's units roll back."""
    from bohai.kernel.organisations import directory

    directory.forget()
    yield
    directory.forget()
