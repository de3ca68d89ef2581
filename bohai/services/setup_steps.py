from django.utils.translation import gettext_lazy as _

from bohai.kernel.accounts.roles import REFERENCE_READ, RoleSpec

from .actions import load_catalogue

APPLICATION_HANDLING = ("services.view_application", "services.change_application")

ROLES = (
    RoleSpec("service_officer", "审批人员", "审查、制证：办理本部门政务服务事项", (
        *REFERENCE_READ, "identities.view_person", "identities.view_legalentity", *APPLICATION_HANDLING,
        "licenses.view_license",
    )),
)

ROLE_GRANTS = {
    "window_clerk": ("services.add_application", *APPLICATION_HANDLING),
    "department_head": (*APPLICATION_HANDLING, "services.view_review", "services.view_rectification",
                        "services.change_rectification", "services.view_statistics"),
    "city_officer": ("services.view_application", "services.view_review", "services.view_rectification",
                     "services.close_rectification", "services.view_statistics"),
    "county_officer": ("services.view_application", "services.view_review", "services.view_statistics"),
    "platform_admin": ("services.view_application", "services.view_statistics", "services.change_serviceitem"),
}


def reference_steps():
    return [(_("政务服务事项清单"), load_catalogue)]


def demo_steps():
    from .demo import generate_demo_applications
    from .statistics_rollup import count_demo_figures

    return [(_("政务服务办件（近一年）"), generate_demo_applications), (_("政务服务统计月度汇总"), count_demo_figures)]
