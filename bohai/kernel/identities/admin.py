from django.contrib import admin

from bohai.kernel.pages.admin import ReadOnlyAdmin

from .models import LegalEntity, Person


class ReadOnlyMaskedAdmin(ReadOnlyAdmin):
    """Registers are changed in the workbench and by imports (audited); the admin only looks, masked."""
    def get_queryset(self, request):
        return super().get_queryset(request).restrict(request.user, "view")


@admin.register(Person)
class PersonAdmin(ReadOnlyMaskedAdmin):
    list_display = ("name", "id_number_masked", "gender", "birth_date", "phone_masked", "region")
    list_filter = ("gender",)
    search_fields = ("name",)
    fields = ("name", "id_number_masked", "gender", "birth_date", "phone_masked", "address", "region", "created_at")


@admin.register(LegalEntity)
class LegalEntityAdmin(ReadOnlyMaskedAdmin):
    list_display = ("name", "credit_code", "entity_type", "legal_representative", "region")
    list_filter = ("entity_type",)
    search_fields = ("name", "credit_code")
    exclude = ("phone_cipher", "phone_index")
