from . import portal_urls, work_urls

app_name = "cases"
urlpatterns = [*portal_urls.urlpatterns, *work_urls.urlpatterns]
