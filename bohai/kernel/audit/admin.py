from django.contrib import admin

from bohai.kernel.pages.admin import ReadOnlyAdmin

from .models import AuditRecord


@admin.register(AuditRecord)
class AuditRecordAdmin(ReadOnlyAdmin):
    """Read-only: the trail is append-only, even for administrators."""

    list_display = ("seq", "created_at", "actor_label", "channel", "address", "action", "target_repr")
    list_filter = ("action", "channel")
    search_fields = ("actor_label", "action", "target_repr", "target_id")
    readonly_fields = [f.name for f in AuditRecord._meta.fields]
