from django.urls import path

from . import views

app_name = "identities"
urlpatterns = [
    path("work/persons/", views.person_list, name="person_list"),
    path("work/persons/new/", views.person_create, name="person_create"),
    path("work/persons/<int:pk>/", views.person_detail, name="person_detail"),
    path("work/persons/<int:pk>/reveal/", views.person_reveal, name="person_reveal"),
    path("work/legal-entities/", views.legal_entity_list, name="legal_entity_list"),
    path("work/legal-entities/new/", views.legal_entity_create, name="legal_entity_create"),
    path("work/legal-entities/<int:pk>/", views.legal_entity_detail, name="legal_entity_detail"),
]
