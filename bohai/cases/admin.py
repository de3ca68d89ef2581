from django.contrib import admin

from bohai.kernel.pages.admin import ReadOnlyAdmin

from .models import Case, CaseClass, DispatchCorrection, KeywordRule


@admin.register(CaseClass)
class CaseClassAdmin(admin.ModelAdmin):
    """Administrators keep the class tree: names, responsible departments, limits, urgency."""

    list_display = ("code", "name", "kind", "parent", "department", "limit_days", "limit_hours", "urgency", "active")
    list_filter = ("kind", "urgency", "active", "department")
    search_fields = ("code", "name")

    def save_model(self, request, obj, form, change):
        from .actions.classes import save_class

        save_class(obj, actor=request.user)


@admin.register(KeywordRule)
class KeywordRuleAdmin(admin.ModelAdmin):
    """Keyword rules the dispatch suggestion applies after the model (optionally only in a region)."""

    list_display = ("pattern", "case_class", "region", "weight", "active")
    list_filter = ("active",)
    search_fields = ("pattern",)
    autocomplete_fields = ("case_class",)

    def save_model(self, request, obj, form, change):
        from .actions.classes import save_keyword_rule

        save_keyword_rule(obj, actor=request.user)


@admin.register(Case)
class CaseAdmin(ReadOnlyAdmin):
    list_display = ("number", "track", "case_class", "status", "county", "reported_at", "due_at")
    list_filter = ("track", "status", "source")
    search_fields = ("number",)


@admin.register(DispatchCorrection)
class DispatchCorrectionAdmin(ReadOnlyAdmin):
    list_display = ("case", "suggested", "chosen", "used_in_training", "created_at")
