"""English is the second language: the committed catalogue (bohai/locale/en) translates the pages."""
import pytest
from django.core.cache import cache
from django.utils import translation

from bohai.testing.fixtures import signed_in_client

ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en"}
pytestmark = pytest.mark.django_db  # the cache lives in the database


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()


def test_the_english_catalogue_is_compiled_and_loaded():
    with translation.override("en"):
        assert translation.gettext("工作台") == "Workbench"
        assert translation.gettext("居民身份证号码") == "Resident identity number"
    with translation.override("zh-hans"):
        assert translation.gettext("工作台") == "工作台"


def test_the_login_page_is_in_english(client):
    page = client.get("/accounts/login/", **ENGLISH)

    html = page.content.decode()
    assert page.status_code == 200
    assert '<html lang="en"' in html
    assert "Sign in" in html and "Sign in to Bohai" in html
    assert "登录" not in html


def test_the_portal_home_is_in_english(client):
    page = client.get("/", **ENGLISH)

    html = page.content.decode()
    assert page.status_code == 200
    assert '<html lang="en"' in html
    assert "Cangzhou Government Services" in html
    assert "Sign in to do more" in html
    assert "沧州市政务服务" not in html and "登录" not in html


def test_the_workbench_is_in_english(cangzhou, make_staff):
    staff = make_staff("county_officer", cangzhou["cang"])

    page = signed_in_client(staff).get("/work/", **ENGLISH)

    html = page.content.decode()
    assert page.status_code == 200
    assert "Workbench" in html and "工作台" not in html
