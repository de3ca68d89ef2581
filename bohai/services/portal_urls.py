"""Portal pages: catalogue, guide, apply, my applications, progress query."""
from django.urls import path

from .views import portal

urlpatterns = [
    path("services/", portal.catalogue, name="catalogue"),
    path("services/items/<str:code>/", portal.item_guide, name="item"),
    path("services/items/<str:code>/apply/", portal.apply, name="apply"),
    path("services/applications/", portal.my_applications, name="my_applications"),
    path("services/applications/<int:pk>/", portal.my_application, name="my_application"),
    path("services/applications/<int:pk>/supplement/", portal.supplement, name="my_application_supplement"),
    path("services/applications/<int:pk>/withdraw/", portal.withdraw, name="my_application_withdraw"),
    path("services/applications/<int:pk>/review/", portal.review, name="my_application_review"),
    path("services/reviews/", portal.reviews, name="reviews"),
    path("services/progress/", portal.progress, name="progress"),
]
