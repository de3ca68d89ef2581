from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.generic import RedirectView

from bohai.kernel.api.router import api

admin.site.site_header = _("渤海 · 平台管理")
admin.site.site_title = _("渤海")
admin.site.index_title = _("平台配置")

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("api/docs", RedirectView.as_view(url="/api/v1/docs", permanent=False), name="api_docs"),
    path("accounts/", include("bohai.kernel.accounts.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("bohai.kernel.regions.urls")),
    path("", include("bohai.kernel.identities.urls")),
    path("", include("bohai.kernel.transfer.urls")),
    path("", include("bohai.kernel.files.urls")),
    path("", include("bohai.kernel.notifications.urls")),
    path("", include("bohai.licenses.urls")),
    path("", include("bohai.services.urls")),
    path("", include("bohai.cases.urls")),
    path("", include("bohai.energy.urls")),
    # before the kernel's pages: the operations centre's /ops/ replaces the kernel's placeholder
    path("", include("bohai.operations.urls")),
    path("", include("bohai.iot.urls")),
    path("open311/v2/", include("bohai.cases.open311.urls")),
    path("", include("bohai.kernel.pages.urls")),
]
