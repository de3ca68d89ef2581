"""Exceptions to the Monday–Friday week: public holidays and the weekend days worked in exchange (调休)."""
from django.db import models
from django.utils.translation import gettext_lazy as _


class DayKind(models.TextChoices):
    HOLIDAY = "holiday", _("节假日（休息）")
    WORKDAY = "workday", _("调休上班")


class CalendarDay(models.Model):
    date = models.DateField(_("日期"), unique=True)
    kind = models.CharField(_("类别"), max_length=10, choices=DayKind.choices)
    name = models.CharField(_("名称"), max_length=40, help_text=_("如 春节、国庆节"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("节假日安排")
        verbose_name_plural = _("节假日安排")

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {self.name}（{self.get_kind_display()}）"
