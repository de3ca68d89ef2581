from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from bohai.kernel.pages.admin import ReadOnlyAdmin

from .actions import redeliver_event
from .models import HandlerReceipt, OutboxEvent


class ReceiptInline(admin.TabularInline):
    model = HandlerReceipt
    fields = ["handler", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(OutboxEvent)
class OutboxEventAdmin(ReadOnlyAdmin):
    list_display = ["id", "name", "status", "attempts", "available_at", "created_at", "delivered_at"]
    list_filter = ["status", "name"]
    search_fields = ["name"]
    date_hierarchy = "created_at"
    fields = ["name", "payload", "status", "attempts", "available_at", "created_at", "delivered_at", "last_error"]
    inlines = [ReceiptInline]
    actions = ["redeliver_selected"]

    def has_redeliver_permission(self, request):
        return request.user.has_perm("events.change_outboxevent")

    @admin.action(description=_("重新投递所选的失败事件"), permissions=["redeliver"])
    def redeliver_selected(self, request, queryset):
        redelivered = 0
        for event in queryset.filter(status=OutboxEvent.Status.FAILED):
            redeliver_event(event, actor=request.user)
            redelivered += 1
        self.message_user(request, _("已重新投递 %(count)d 个事件") % {"count": redelivered}, messages.SUCCESS)
