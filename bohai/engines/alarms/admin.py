from django import forms
from django.contrib import admin

from bohai.kernel.pages.admin import ReadOnlyAdmin

from .models import Alarm, AlarmEvent, DutyShift, Rule, SubjectMetricState


@admin.register(Rule)
class RuleAdmin(admin.ModelAdmin):
    """Rules change through the actions, so each change is audited and reaches every worker's cache."""

    list_display = ("name", "subject_kind", "subject_type", "subject_id", "metric", "kind", "severity",
                    "escalation_minutes", "active")
    list_filter = ("active", "kind", "severity", "subject_kind")
    search_fields = ("name", "subject_type", "metric")

    def save_model(self, request, obj, form, change):
        from .actions import RULE_FIELDS, create_rule, update_rule

        values = {name: getattr(obj, name) for name in RULE_FIELDS}
        if change:
            update_rule(Rule(pk=obj.pk), actor=request.user, **values)
        else:
            obj.pk = create_rule(actor=request.user, **values).pk

    def delete_model(self, request, obj):
        from .actions import deactivate_rule

        deactivate_rule(obj, actor=request.user)

    def has_delete_permission(self, request, obj=None):
        return False


class AlarmEventInline(admin.TabularInline):
    model = AlarmEvent
    extra = 0
    can_delete = False
    readonly_fields = ("kind", "at", "actor_label", "level", "value", "note", "notified")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Alarm)
class AlarmAdmin(ReadOnlyAdmin):
    list_display = ("subject_label", "rule", "severity", "state", "escalation_level", "raised_at", "reading_count",
                    "organisation")
    list_filter = ("state", "severity", "escalation_level")
    search_fields = ("subject_label", "message")
    inlines = [AlarmEventInline]


class DutyShiftForm(forms.ModelForm):
    class Meta:
        model = DutyShift
        fields = ("organisation", "user", "starts_at", "ends_at")

    def clean(self):
        from .actions import validate_duty_shift

        cleaned = super().clean()
        if all(cleaned.get(name) for name in self.Meta.fields):
            validate_duty_shift(cleaned["organisation"], cleaned["user"], cleaned["starts_at"], cleaned["ends_at"],
                                replacing=self.instance if self.instance.pk else None)
        return cleaned


@admin.register(DutyShift)
class DutyShiftAdmin(admin.ModelAdmin):
    form = DutyShiftForm
    list_display = ("organisation", "user", "starts_at", "ends_at")
    list_filter = ("organisation",)
    autocomplete_fields = ("user",)

    def save_model(self, request, obj, form, change):
        from .actions import add_duty_shift, change_duty_shift

        fields = {name: getattr(obj, name) for name in ("organisation", "user", "starts_at", "ends_at")}
        if change:
            change_duty_shift(DutyShift.objects.get(pk=obj.pk), actor=request.user, **fields)
        else:
            obj.pk = add_duty_shift(actor=request.user, **fields).pk

    def delete_model(self, request, obj):
        from .actions import remove_duty_shift

        remove_duty_shift(obj, actor=request.user)


@admin.register(SubjectMetricState)
class SubjectMetricStateAdmin(ReadOnlyAdmin):
    list_display = ("subject_kind", "subject_id", "subject_type", "metric", "last_value", "last_ts")
    list_filter = ("subject_kind", "subject_type")
