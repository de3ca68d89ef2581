"""Open311 GeoReport v2 at /open311/v2/: each resource as `<name>.xml` or `<name>.json`."""
from django.urls import path, re_path

from . import views

app_name = "open311"
FORMAT = r"\.(?P<fmt>[A-Za-z0-9]{1,10})$"
urlpatterns = [
    re_path(r"^discovery" + FORMAT, views.discovery, name="discovery"),
    re_path(r"^services" + FORMAT, views.service_list, name="services"),
    re_path(r"^services/(?P<code>[^/]+?)" + FORMAT, views.service_definition, name="service"),
    re_path(r"^requests" + FORMAT, views.requests_view, name="requests"),
    re_path(r"^requests/(?P<number>[^/]+?)" + FORMAT, views.request_detail, name="request"),
    re_path(r"^tokens/(?P<token>[^/]+?)" + FORMAT, views.token_view, name="token"),
    path("media/<str:number>/<int:photo_id>", views.media, name="media"),
]
