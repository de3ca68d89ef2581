from django.contrib import admin

from bohai.kernel.pages.admin import ReadOnlyAdmin

from .models import StoredFile


@admin.register(StoredFile)
class StoredFileAdmin(ReadOnlyAdmin):
    """Read-only: files are stored through store_upload and belong to the records that point to them."""

    list_display = ("original_name", "kind", "size", "uploaded_by", "created_at", "digest")
    list_filter = ("kind",)
    search_fields = ("original_name", "digest")
    readonly_fields = [f.name for f in StoredFile._meta.fields]
