from django.contrib import admin

from bohai.kernel.pages.admin import ReadOnlyAdmin

from .models import Series


@admin.register(Series)
class SeriesAdmin(ReadOnlyAdmin):
    """Series are created by the ingestion pipeline (`store.series_ids`); administrators only look."""

    list_display = ("id", "source_id", "metric", "created_at")
    search_fields = ("metric",)
    list_filter = ("metric",)
