"""Accounts in the admin. Changes go through the actions, so the admin leaves an audit trail too."""
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from . import actions
from .models import Role, RoleAssignment, User


class RoleAssignmentInline(admin.TabularInline):
    model = RoleAssignment
    extra = 0
    fields = ("role", "region", "organisation")
    autocomplete_fields = ("region", "organisation")
    readonly_fields = ("role", "region", "organisation")
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "display_name", "kind", "organisation", "is_active", "has_two_factor", "locked_until")
    list_filter = ("kind", "is_active", "is_superuser")
    search_fields = ("username", "display_name")
    readonly_fields = ("person", "legal_entity", "totp_confirmed_at", "failed_logins", "locked_until", "last_login", "date_joined")
    fieldsets = (
        (None, {"fields": ("username", "display_name", "kind", "is_active")}),
        ("身份与机构", {"fields": ("person", "legal_entity", "organisation", "position")}),
        ("安全", {"fields": ("totp_confirmed_at", "failed_logins", "locked_until", "last_login", "date_joined")}),
    )
    inlines = [RoleAssignmentInline]

    def has_add_permission(self, request):
        return False  # accounts are created by actions: `bohai demo`, the workbench, imports

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return (*self.readonly_fields, "username", "kind", "organisation", "position", "is_active", "display_name")


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(admin.ModelAdmin):
    """Granting and revoking roles: the one place administrators change scopes."""

    list_display = ("user", "role", "region", "organisation", "created_at")
    list_filter = ("role",)
    search_fields = ("user__username", "region__name", "organisation__name")
    autocomplete_fields = ("user", "region", "organisation")

    def has_change_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        assignment = actions.assign_role(obj.user, actor=request.user, role_code=obj.role.code,
                                         region=obj.region, organisation=obj.organisation)
        obj.pk = assignment.pk

    def delete_model(self, request, obj):
        actions.revoke_role(obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for assignment in queryset:
            actions.revoke_role(assignment, actor=request.user)


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin):
    """Roles are defined in code (accounts/roles.py) and shown here."""

    list_display = ("code", "name", "requires_two_factor")
    readonly_fields = ("code", "name", "description", "permissions", "requires_two_factor")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
