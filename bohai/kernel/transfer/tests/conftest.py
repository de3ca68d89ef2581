import pytest

from bohai.kernel.regions.models import Region

from .samples import staff


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Argon2 is deliberately slow; the tests create several staff accounts.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def regions(db):
    city = Region.objects.create(key="130900", code="130900", name="沧州市", level="city", path="/130900/")
    counties = {
        code: Region.objects.create(key=code, code=code, name=name, level="county", parent=city, path=f"/130900/{code}/")
        for code, name in (("130903", "运河区"), ("130921", "沧县"), ("130922", "青县"))
    }
    return {"city": city, **counties}


@pytest.fixture
def data_officer(regions):
    return staff("data_officer", regions["city"], "data_officer")


@pytest.fixture
def county_officer(regions):
    return staff("county_officer", regions["130921"], "county_officer")
