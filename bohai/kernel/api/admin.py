from django.contrib import admin, messages

from . import actions
from .models import ApiKey


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    """Keys are issued here through the action; the raw key is shown once, then only its digest exists."""

    list_display = ("name", "prefix", "account", "expires_at", "revoked_at", "last_used_at")
    fields = ("name", "account", "expires_at")
    autocomplete_fields = ("account",)
    actions = ["revoke"]

    def has_change_permission(self, request, obj=None):
        return obj is None

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        api_key, raw = actions.issue_api_key(actor=request.user, name=obj.name, account=obj.account, expires_at=obj.expires_at)
        obj.pk = api_key.pk
        messages.warning(request, f"接口密钥（只显示这一次，请立即保存）：{raw}")

    @admin.action(description="吊销所选密钥")
    def revoke(self, request, queryset):
        for api_key in queryset.filter(revoked_at__isnull=True):
            actions.revoke_api_key(api_key, actor=request.user)
