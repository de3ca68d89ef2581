"""遥测数据存储: series, raw readings, rollups per minute, hour and day, the latest value per series.

The raw table and the rollups carry no surrogate id: their primary key is (series, time), which is
what makes a write idempotent. On PostgreSQL the raw table is range-partitioned by month (see
`partitions.py`); the model describes its columns for Django, the migration creates it per vendor.
"""
from django.db import models
from django.utils.translation import gettext_lazy as _


class Series(models.Model):
    """One measured quantity of one source (a device, a meter): the unit every reading belongs to."""

    source_id = models.BigIntegerField(_("数据源"), db_index=False)
    metric = models.CharField(_("指标"), max_length=40)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    # Raw readings before this moment may have been deleted by retention (the rollups keep them): a chart of a
    # range that starts earlier reads the rollups.
    raw_purged_before = models.DateTimeField(_("原始数据保留起点"), null=True, blank=True)

    class Meta:
        ordering = ["source_id", "metric"]
        verbose_name = _("时间序列")
        verbose_name_plural = _("时间序列")
        constraints = [models.UniqueConstraint(fields=["source_id", "metric"], name="telemetry_series_source_metric")]

    def __str__(self) -> str:
        return f"{self.source_id}/{self.metric}"


class Reading(models.Model):
    """One raw reading. No foreign key: writes at volume skip the per-row check; `series_ids` hands out ids."""

    pk = models.CompositePrimaryKey("series_id", "ts")
    series_id = models.BigIntegerField(_("时间序列"))
    ts = models.DateTimeField(_("时间"))
    value = models.FloatField(_("数值"))

    class Meta:
        db_table = "telemetry_reading"
        ordering = ["series_id", "ts"]
        verbose_name = _("原始读数")
        verbose_name_plural = _("原始读数")

    def __str__(self) -> str:
        return f"{self.series_id}@{self.ts:%Y-%m-%d %H:%M:%S}={self.value}"


class Rollup(models.Model):
    """Aggregates of the readings of one series in one bucket (the bucket's start, UTC)."""

    pk = models.CompositePrimaryKey("series_id", "bucket")
    series_id = models.BigIntegerField(_("时间序列"))
    bucket = models.DateTimeField(_("时段起点"))
    count = models.BigIntegerField(_("读数个数"))
    sum = models.FloatField(_("合计"))
    min = models.FloatField(_("最小值"))
    max = models.FloatField(_("最大值"))

    class Meta:
        abstract = True
        ordering = ["series_id", "bucket"]

    def __str__(self) -> str:
        return f"{self.series_id}@{self.bucket:%Y-%m-%d %H:%M}: {self.count}"


class MinuteRollup(Rollup):
    class Meta(Rollup.Meta):
        db_table = "telemetry_minute"
        verbose_name = _("分钟汇总")
        verbose_name_plural = _("分钟汇总")


class HourRollup(Rollup):
    class Meta(Rollup.Meta):
        db_table = "telemetry_hour"
        verbose_name = _("小时汇总")
        verbose_name_plural = _("小时汇总")


class DayRollup(Rollup):
    """Days are Beijing days (UTC+8, no daylight saving since 1991): a bucket starts at 16:00 UTC."""

    class Meta(Rollup.Meta):
        db_table = "telemetry_day"
        verbose_name = _("日汇总")
        verbose_name_plural = _("日汇总")


class Latest(models.Model):
    """The newest reading of each series; it only moves forward in time."""

    series_id = models.BigIntegerField(_("时间序列"), primary_key=True)
    ts = models.DateTimeField(_("时间"))
    value = models.FloatField(_("数值"))

    class Meta:
        db_table = "telemetry_latest"
        ordering = ["series_id"]
        verbose_name = _("最新值")
        verbose_name_plural = _("最新值")

    def __str__(self) -> str:
        return f"{self.series_id}@{self.ts:%Y-%m-%d %H:%M:%S}={self.value}"
