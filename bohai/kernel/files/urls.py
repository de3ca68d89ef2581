"""No addresses: a stored file is served only by the app that owns it (see reading.py)."""
app_name = "files"
urlpatterns: list = []
