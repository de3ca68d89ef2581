from django.contrib import admin

from bohai.kernel.pages.admin import ReadOnlyAdmin

from . import actions
from .models import CoalCoefficient, EmissionPermit, Exceedance, KeyEnterprise, MonthlyEnergy, MonthlyOutput


@admin.register(CoalCoefficient)
class CoalCoefficientAdmin(admin.ModelAdmin):
    """Administrators correct a coefficient (a new edition of the standard); the carriers themselves are fixed."""

    list_display = ("carrier", "kgce_per_unit", "unit", "basis", "standard", "updated_at")
    readonly_fields = ("carrier", "unit", "basis", "standard")
    fields = ("carrier", "unit", "kgce_per_unit", "basis", "standard", "note")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        actions.update_coefficient(CoalCoefficient.objects.get(pk=obj.pk), actor=request.user,
                                   kgce_per_unit=obj.kgce_per_unit, note=obj.note)


@admin.register(KeyEnterprise)
class KeyEnterpriseAdmin(admin.ModelAdmin):
    list_display = ("name", "enterprise_code", "industry", "level", "region", "natural_gas_kgce", "active")
    list_filter = ("industry", "level", "active")
    search_fields = ("name", "enterprise_code")
    raw_id_fields = ("region", "legal_entity")
    readonly_fields = ("legal_entity",)

    def get_readonly_fields(self, request, obj=None):
        return ("legal_entity", "enterprise_code") if obj else ("legal_entity",)

    def save_model(self, request, obj, form, change):
        if change:
            actions.update_enterprise(KeyEnterprise.objects.get(pk=obj.pk), actor=request.user,
                                      **{name: getattr(obj, name) for name in form.changed_data})
        else:
            created = actions.register_enterprise(
                actor=request.user, enterprise_code=obj.enterprise_code, name=obj.name, industry=obj.industry,
                region=obj.region, level=obj.level, natural_gas_kgce=obj.natural_gas_kgce, active=obj.active)
            obj.pk = created.pk


@admin.register(MonthlyOutput)
class MonthlyOutputAdmin(admin.ModelAdmin):
    list_display = ("enterprise", "month", "output_value", "product_quantity", "product_unit")
    list_filter = ("month",)
    search_fields = ("enterprise__name", "enterprise__enterprise_code")
    raw_id_fields = ("enterprise",)

    def save_model(self, request, obj, form, change):
        saved = actions.record_output(actor=request.user, enterprise=obj.enterprise, month=obj.month,
                                      output_value=obj.output_value, product_quantity=obj.product_quantity,
                                      product_unit=obj.product_unit)
        obj.pk = saved.pk


@admin.register(EmissionPermit)
class EmissionPermitAdmin(admin.ModelAdmin):
    list_display = ("permit_number", "enterprise", "pollutant", "limit_mg_m3", "valid_from", "valid_to")
    list_filter = ("pollutant",)
    search_fields = ("permit_number", "enterprise__name")
    raw_id_fields = ("enterprise",)

    def get_readonly_fields(self, request, obj=None):
        # A limit once in force is history: a new limit is a new permit row with its own dates.
        return ("enterprise", "permit_number", "pollutant", "limit_mg_m3", "valid_from") if obj else ()

    def save_model(self, request, obj, form, change):
        if change:
            actions.end_permit(EmissionPermit.objects.get(pk=obj.pk), actor=request.user, valid_to=obj.valid_to)
            return
        created = actions.add_permit(actor=request.user, enterprise=obj.enterprise, permit_number=obj.permit_number,
                                     pollutant=obj.pollutant, limit_mg_m3=obj.limit_mg_m3, valid_from=obj.valid_from,
                                     valid_to=obj.valid_to)
        obj.pk = created.pk


@admin.register(MonthlyEnergy)
class MonthlyEnergyAdmin(ReadOnlyAdmin):
    list_display = ("enterprise", "month", "total_tce", "electricity_kwh", "natural_gas_m3", "coal_kg", "steam_mj",
                    "intensity", "computed_at")
    list_filter = ("month", "enterprise__industry")
    search_fields = ("enterprise__name", "enterprise__enterprise_code")


@admin.register(Exceedance)
class ExceedanceAdmin(ReadOnlyAdmin):
    list_display = ("enterprise", "device_code", "pollutant", "hour", "average", "limit", "ratio")
    list_filter = ("pollutant",)
    search_fields = ("enterprise__name", "device_code")
