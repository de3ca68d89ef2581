from django.db import models
from django.utils.translation import gettext_lazy as _

from bohai.kernel.accounts.scoping import ScopedQuerySet


class Level(models.TextChoices):
    CITY = "city", _("市")
    COUNTY = "county", _("县级单位")
    ZONE = "zone", _("功能区")
    TOWNSHIP = "township", _("乡镇/街道")
    COMMUNITY = "community", _("社区/村")
    GRID = "grid", _("单元网格")


class Region(models.Model):
    """A node of the division tree: city → county/zone → township → community → grid.

    `path` is the materialised chain of keys ("/130900/130921/"), so that a scope over a
    subtree is one indexed prefix match.
    """

    key = models.CharField(_("标识"), max_length=32, unique=True)
    code = models.CharField(_("区划代码"), max_length=20, unique=True, null=True, blank=True)
    name = models.CharField(_("名称"), max_length=100)
    level = models.CharField(_("层级"), max_length=12, choices=Level.choices)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children", verbose_name=_("上级"))
    path = models.CharField(_("路径"), max_length=255, db_index=True, editable=False)
    population = models.PositiveIntegerField(_("户籍人口（约）"), null=True, blank=True)
    area_km2 = models.FloatField(_("面积（平方公里）"), null=True, blank=True)
    centroid_lng = models.FloatField(_("中心经度"), null=True, blank=True)
    centroid_lat = models.FloatField(_("中心纬度"), null=True, blank=True)
    boundary = models.JSONField(_("边界（GeoJSON）"), null=True, blank=True)
    source = models.CharField(_("数据来源"), max_length=100, blank=True)
    is_demo = models.BooleanField(_("演示数据"), default=False, help_text=_("演示用的划分，不是官方数据"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = ScopedQuerySet.as_manager()
    scope_fields = {"region": ""}

    class Meta:
        ordering = ["path"]
        verbose_name = _("区划")
        verbose_name_plural = _("区划")
        permissions = [("import_region", _("导入区划与网格"))]

    def __str__(self):
        return self.name

    def build_path(self) -> str:
        return (self.parent.path if self.parent_id else "/") + f"{self.key}/"

    def ancestors(self):
        keys = [k for k in self.path.strip("/").split("/")][:-1]
        by_key = {r.key: r for r in Region.objects.filter(key__in=keys)}
        return [by_key[k] for k in keys if k in by_key]

    def subtree(self):
        return Region.objects.filter(path__startswith=self.path)
