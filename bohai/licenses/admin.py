from django.contrib import admin

from bohai.kernel.pages.admin import ReadOnlyAdmin

from .models import License, LicenseType, SigningKey


@admin.register(LicenseType)
class LicenseTypeAdmin(ReadOnlyAdmin):
    """Reference data: loaded by `bohai setup` (licenses.actions.load_license_types), audited."""
    list_display = ("code", "name", "issuing_function", "holder_kind", "validity_years", "version")
    search_fields = ("code", "name")


@admin.register(License)
class LicenseAdmin(ReadOnlyAdmin):
    """Licences are issued and changed through actions only; the admin looks, masked and in scope."""
    list_display = ("number", "name", "holder_name", "holder_id_masked", "agency_name", "issue_date", "status")
    list_filter = ("status", "license_type")
    search_fields = ("number", "holder_name")
    exclude = ("holder_id_cipher", "holder_id_index")

    def get_queryset(self, request):
        return super().get_queryset(request).restrict(request.user, "view")


@admin.register(SigningKey)
class SigningKeyAdmin(ReadOnlyAdmin):
    list_display = ("key_id", "organisation", "created_at", "retired_at")
    exclude = ("private_key_cipher",)
