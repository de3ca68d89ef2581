from django.utils.translation import gettext_lazy as _

from bohai.kernel.accounts.roles import REFERENCE_READ, RoleSpec

from .actions import load_reference_classes

CASE_WORK = ("cases.view_case", "cases.change_case")

ROLES = (
    RoleSpec("case_supervisor", "监督中心受理员", "立案、核查结案、审批延期与挂账", (*REFERENCE_READ, *CASE_WORK, "cases.file_case",
                                                                   "cases.add_case", "cases.view_indicators")),
    RoleSpec("case_dispatcher", "指挥中心派遣员", "按智能建议派遣案件到责任单位", (*REFERENCE_READ, *CASE_WORK, "cases.dispatch_case")),
    RoleSpec("case_handler", "处置单位人员", "签收、处置、反馈案件和诉求", (*REFERENCE_READ, *CASE_WORK)),
)

ROLE_GRANTS = {
    "grid_worker": ("cases.add_case", *CASE_WORK),
    "hotline_operator": ("cases.add_case", *CASE_WORK, "cases.dispatch_case", "cases.reveal_caller"),
    "department_head": ("cases.view_case", "cases.view_indicators"),
    "city_officer": ("cases.view_case", "cases.view_indicators"),
    "county_officer": ("cases.view_case", "cases.view_indicators"),
    "ops_duty_officer": ("cases.view_case", "cases.view_indicators"),
    "platform_admin": ("cases.view_case", "cases.view_indicators", "cases.change_caseclass", "cases.add_keywordrule",
                       "cases.change_keywordrule"),
}


def train_dispatch_model(*, actor) -> dict:
    from bohai.engines.text.setup import train_default_model

    from .dispatch import model_path

    if model_path().exists():
        return {"model": "kept"}
    figures = train_default_model(model_path().parent)
    return {"top1": figures["top1"], "top3": figures["top3"]}


def reference_steps():
    return [(_("网格与12345问题分类"), load_reference_classes), (_("智能分派模型"), train_dispatch_model)]


def demo_steps():
    from .demo import generate_demo_cases

    return [(_("网格与12345案件（近一年）"), generate_demo_cases)]
