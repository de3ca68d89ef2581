"""The three front doors: the portal home, the workbench home and the operations centre."""
from dataclasses import dataclass

from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from bohai.kernel.identities.models import LegalEntity, Person
from bohai.kernel.organisations.models import Organisation
from bohai.kernel.regions.models import Region

from .access import staff_required


def optional_url(url_name: str) -> str | None:
    """The page's address if its system is installed yet, else None (shown as 即将上线)."""
    try:
        return reverse(url_name)
    except NoReverseMatch:
        return None


@dataclass(frozen=True)
class Tile:
    label: str
    description: str
    url_name: str
    icon: str

    @property
    def url(self) -> str | None:
        return optional_url(self.url_name)


# What residents and enterprises can do; a tile lights up when its system registers the URL name.
PORTAL_TILES = (
    Tile(_("办事服务"), _("在线申请政务服务事项，所需材料一次告知"), "services:catalogue", "briefcase"),
    Tile(_("我的办件"), _("查看申请进度，按通知补正材料"), "services:my_applications", "list-check"),
    Tile(_("电子证照"), _("持有、出示和核验电子证照"), "licenses:wallet", "id"),
    Tile(_("诉求与上报"), _("12345 诉求、城市问题随手拍"), "cases:report", "message"),
    Tile(_("好差评"), _("评价办事体验，差评必有回应"), "services:reviews", "star"),
    Tile(_("开放数据"), _("浏览和下载政府开放数据"), "datahub:catalogue", "database"),
    Tile(_("信用查询"), _("查询企业信用与双公示信息"), "credit:search", "shield"),
    Tile(_("区划地图"), _("沧州市县、乡镇与网格划分"), "regions:map", "map"),
    Tile(_("我的账户"), _("个人信息、登录安全与二次验证"), "accounts:me", "user"),
)


def home(request):
    return render(request, "pages/home.html", {"tiles": PORTAL_TILES})


@dataclass(frozen=True)
class ScopedCount:
    label: str
    count: int
    icon: str
    url: str | None


def scoped_counts(user) -> list[ScopedCount]:
    """How many records of each kernel register the user may see (their scope, not the city's total)."""
    registers = (
        (_("自然人"), Person, "users", "identities:person_list"),
        (_("法人"), LegalEntity, "building", "identities:legal_entity_list"),
        (_("机构"), Organisation, "sitemap", "organisations:organisation_list"),
    )
    return [
        ScopedCount(label, model.objects.restrict(user, "view").count(), icon, optional_url(url_name))
        for label, model, icon, url_name in registers
    ]


@staff_required
def workbench(request):
    user = request.user
    assignments = user.role_assignments.select_related("role", "region", "organisation").order_by("role__name")
    return render(request, "pages/workbench_home.html", {
        "assignments": assignments,
        "counts": scoped_counts(user),
    })


@staff_required
def ops(request):
    counties = Region.objects.restrict(request.user, "view").filter(level__in=["county", "zone"])
    return render(request, "pages/ops_home.html", {
        "county_count": counties.count(),
        "counts": scoped_counts(request.user),
        "map_page_url": optional_url("regions:map"),
        "geojson_url": optional_url("api:regions_map_layer"),
    })
