"""The page foundation: layouts, the three home pages, who may enter them, menus."""
import re

import pytest
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.urls import reverse

from bohai.kernel.accounts.models import AccountKind, Role, RoleAssignment, User
from bohai.kernel.crypto.fields import blind_index, encrypt
from bohai.kernel.identities.models import Person
from bohai.kernel.organisations.models import Organisation
from bohai.kernel.pages.navigation import menu
from bohai.kernel.regions.models import Region

EXTERNAL_ASSET = re.compile(r'(?:src|href)="(?:https?:)?//', re.IGNORECASE)


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()


@pytest.fixture
def regions(db):
    city = Region.objects.create(key="130900", code="130900", name="沧州市", level="city", path="/130900/")
    cangxian = Region.objects.create(
        key="130921", code="130921", name="沧县", level="county", parent=city, path="/130900/130921/",
    )
    qingxian = Region.objects.create(
        key="130922", code="130922", name="青县", level="county", parent=city, path="/130900/130922/",
    )
    return city, cangxian, qingxian


def add_person(region, number, name):
    return Person.objects.create(
        id_number_cipher=encrypt(number), id_number_index=blind_index(number), id_number_masked=number[:6] + "*" * 12,
        name=name, gender="male", birth_date="1980-01-01", region=region,
    )


def make_staff(username, organisation=None) -> User:
    return User.objects.create_user(username=username, password="x", kind=AccountKind.STAFF, organisation=organisation)


def grant(user, region, *permissions, code="county_officer", name="县级业务人员"):
    role, _ = Role.objects.get_or_create(code=code, defaults={"name": name})
    for permission in permissions:
        app_label, codename = permission.split(".")
        role.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    RoleAssignment.objects.create(user=user, role=role, region=region)


@pytest.mark.django_db
def test_the_portal_home_is_chinese_and_loads_nothing_from_outside(client):
    page = client.get("/")

    html = page.content.decode()
    assert page.status_code == 200
    assert '<html lang="zh-Hans"' in html
    assert "渤海" in html and "沧州市政务服务" in html
    assert "/static/vendor/tabler/css/tabler.min.css" in html
    assert "/static/vendor/htmx/htmx.min.js" in html
    assert "/static/vendor/alpinejs/cdn.min.js" in html
    assert not EXTERNAL_ASSET.search(html)


@pytest.mark.django_db
def test_portal_tiles_link_only_to_pages_that_exist(client):
    tiles = client.get("/").context["tiles"]

    account_tile = next(t for t in tiles if t.url_name == "accounts:me")
    assert account_tile.url == reverse("accounts:me")
    for tile in tiles:
        if tile.url is None:
            assert tile.url_name  # shown as 即将上线, with no link
    assert "即将上线" in client.get("/").content.decode()


@pytest.mark.django_db
def test_htmx_requests_carry_the_csrf_token(client):
    html = client.get("/").content.decode()
    assert re.search(r"""hx-headers='\{"X-CSRFToken": "[^"]+"\}'""", html)


@pytest.mark.django_db
def test_the_language_can_be_switched_to_english(client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert '<html lang="en"' in client.get("/").content.decode()


@pytest.mark.django_db
def test_the_workbench_sends_anonymous_visitors_to_sign_in(client):
    response = client.get("/work/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.django_db
def test_residents_are_refused_the_staff_faces(client):
    client.force_login(User.objects.create_user(username="resident", password="x", kind=AccountKind.RESIDENT))

    workbench = client.get("/work/")

    assert workbench.status_code == 403
    assert "无权访问" in workbench.content.decode()
    assert client.get("/ops/").status_code == 403


@pytest.mark.django_db
def test_workbench_counts_only_what_the_user_may_see(client, regions):
    city, cangxian, qingxian = regions
    add_person(cangxian, "130921198001010011", "甲")
    add_person(qingxian, "130922198001010012", "乙")
    county_government = Organisation.objects.create(
        key="cangxian-gov", name="沧县人民政府", kind="government", region=cangxian, path="/cangxian-gov/",
    )
    officer = make_staff("officer", county_government)
    grant(officer, cangxian, "identities.view_person", "organisations.view_organisation")
    client.force_login(officer)

    page = client.get("/work/")

    counts = {item.label: item.count for item in page.context["counts"]}
    assert counts == {"自然人": 1, "法人": 0, "机构": 1}
    html = page.content.decode()
    assert "沧县人民政府" in html and "县级业务人员" in html and "沧县" in html


@pytest.mark.django_db
def test_a_superuser_sees_every_record(client, regions):
    city, cangxian, qingxian = regions
    add_person(cangxian, "130921198001010011", "甲")
    add_person(qingxian, "130922198001010012", "乙")
    admin = User.objects.create_superuser(username="admin", password="x")
    client.force_login(admin)
    session = client.session
    session["two_factor_passed"] = True
    session.save()

    counts = {item.label: item.count for item in client.get("/work/").context["counts"]}

    assert counts["自然人"] == 2


@pytest.mark.django_db
def test_the_operations_centre_is_dark_and_full_width(client, regions):
    client.force_login(make_staff("duty"))

    page = client.get("/ops/")

    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-bs-theme="dark"' in html
    assert "container-fluid" in html
    assert "/static/vendor/echarts/echarts.min.js" in html
    assert f'data-geojson-url="{reverse("api:regions_map_layer")}"' in html


@pytest.mark.django_db
def test_the_faces_register_their_home_in_the_menus():
    portal_urls = [item.url_name for item in menu.items["portal"]]
    assert "pages:home" in portal_urls
    assert "pages:workbench" in [item.url_name for item in menu.items["workbench"]]
    assert "pages:ops" in [item.url_name for item in menu.items["ops"]]


@pytest.mark.django_db
def test_the_workbench_sidebar_lists_the_workbench_menu(client):
    client.force_login(make_staff("clerk"))
    html = client.get("/work/").content.decode()
    assert "navbar-vertical" in html
    assert "工作台首页" in html


@pytest.mark.django_db
def test_unknown_pages_answer_with_the_bohai_404(client, settings):
    settings.DEBUG = False
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()
