"""What the licence library adds to `bohai setup` and `bohai demo` (see kernel/bootstrap/contributions.py)."""
from django.utils.translation import gettext_lazy as _

ROLE_GRANTS = {
    "city_officer": ("licenses.view_license",),
    "county_officer": ("licenses.view_license",),
    "department_head": ("licenses.view_license", "licenses.change_license"),
    "platform_admin": ("licenses.view_license",),
    "window_clerk": ("licenses.view_license",),
}


def reference_steps():
    from .actions import load_license_types

    return [(_("电子证照类型"), load_license_types)]


def demo_steps():
    from .demo import issue_demo_licenses

    return [(_("电子证照"), issue_demo_licenses)]
