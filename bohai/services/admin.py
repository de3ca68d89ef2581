from django.contrib import admin
from django.core.exceptions import ValidationError
from django import forms

from bohai.kernel.pages.admin import ReadOnlyAdmin

from .actions.catalogue import save_item, save_materials
from .models import Application, ItemMaterial, LifeEvent, Rectification, Review, ServiceItem


class ItemMaterialInline(admin.TabularInline):
    model = ItemMaterial
    extra = 0


class ServiceItemForm(forms.ModelForm):
    class Meta:
        model = ServiceItem
        exclude = ("search_text",)

    def clean(self):
        cleaned = super().clean()
        from bohai.engines.workflows.definitions import Process
        from .declared_forms import check_declaration

        try:
            check_declaration(cleaned.get("form") or [], item_code=cleaned.get("code") or "")
            if cleaned.get("workflow"):
                Process.from_declaration(cleaned["workflow"], field="workflow")
        except ValidationError as error:
            raise ValidationError(error.messages)
        return cleaned


@admin.register(ServiceItem)
class ServiceItemAdmin(admin.ModelAdmin):
    """The catalogue as administrators keep it; every save is checked and audited (save_item)."""

    form = ServiceItemForm
    list_display = ("code", "name", "department", "item_type", "statutory_days", "promised_days", "online_depth", "active")
    list_filter = ("item_type", "online_depth", "department", "active")
    search_fields = ("code", "name", "keywords")
    filter_horizontal = ("life_events",)
    inlines = [ItemMaterialInline]

    def save_model(self, request, obj, form, change):
        save_item(obj, actor=request.user)

    def save_formset(self, request, form, formset, change):
        changed = formset.save(commit=False)
        save_materials(form.instance, changed, list(formset.deleted_objects), actor=request.user)


@admin.register(LifeEvent)
class LifeEventAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "audience", "position")


@admin.register(Application)
class ApplicationAdmin(ReadOnlyAdmin):
    list_display = ("number", "item", "applicant_name", "status", "channel", "region", "submitted_at", "due_at")
    list_filter = ("status", "channel")
    search_fields = ("number",)


@admin.register(Review)
class ReviewAdmin(ReadOnlyAdmin):
    list_display = ("application", "rating", "created_at")


@admin.register(Rectification)
class RectificationAdmin(ReadOnlyAdmin):
    list_display = ("review", "status", "due_at", "on_time")
