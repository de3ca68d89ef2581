from django.conf import settings

from .access import is_staff_member
from .navigation import menu


def navigation(request):
    """Menus of the face the request is on, filtered by the user's permissions."""
    path = request.path
    face = "ops" if path.startswith("/ops/") else "workbench" if path.startswith("/work/") else "portal"
    user = request.user
    return {
        "face": face,
        "nav_items": menu.for_user(face, user),
        "workbench_items": menu.for_user("workbench", user) if user.is_authenticated else [],
        "can_use_workbench": is_staff_member(user),
        "city_code": settings.BOHAI_CITY_CODE,
    }
