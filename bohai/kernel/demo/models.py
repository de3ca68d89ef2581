from django.db import models
from django.utils.translation import gettext_lazy as _


class DemoDataset(models.Model):
    """How far the demo streams of one seed have been stored: the marker that makes `bohai demo`
    idempotent and lets an interrupted city-scale run resume where it stopped."""

    seed = models.IntegerField(_("随机种子"), unique=True)
    persons_generated = models.PositiveIntegerField(_("已生成自然人"), default=0)
    entities_generated = models.PositiveIntegerField(_("已生成法人"), default=0)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["seed"]
        verbose_name = _("演示数据集")
        verbose_name_plural = _("演示数据集")

    def __str__(self):
        return f"seed {self.seed}: {self.persons_generated} / {self.entities_generated}"
