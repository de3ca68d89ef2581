"""What the energy system adds to set-up: the energy officer's role, read access for leaders and the duty
officer, the standard-coal coefficients (reference) and the demo key enterprises."""
from django.utils.translation import gettext_lazy as _

from bohai.kernel.accounts.roles import REFERENCE_READ, RoleSpec

ENERGY_READ = ("energy.view_keyenterprise", "energy.view_monthlyenergy", "energy.view_exceedance",
               "energy.view_emissionpermit", "energy.view_monthlyoutput", "energy.view_coalcoefficient")
ENERGY_KEEP = ("energy.add_keyenterprise", "energy.change_keyenterprise", "energy.add_monthlyoutput",
               "energy.change_monthlyoutput", "energy.add_emissionpermit", "energy.change_emissionpermit")

ROLES = (
    RoleSpec("energy_officer", "能耗与排放监管人员",
             "生态环境局、工信局、发改委（节能）人员：查看重点企业能耗、超标记录与月报，维护企业产出与排污许可",
             (*REFERENCE_READ, "identities.view_legalentity", *ENERGY_READ, *ENERGY_KEEP)),
)

ROLE_GRANTS = {
    "city_officer": ENERGY_READ,
    "department_head": ENERGY_READ,
    "ops_duty_officer": ENERGY_READ,
    "platform_admin": (*ENERGY_READ, "energy.change_coalcoefficient"),
}


def load_coefficients(*, actor) -> dict:
    from .actions import load_coefficients as load

    return load(actor=actor)


def reference_steps():
    return [(_("折标准煤系数（GB/T 2589-2020）"), load_coefficients)]


def demo_steps():
    from .demo import generate_demo_enterprises

    return [(_("重点用能与排污企业"), generate_demo_enterprises)]

DEMO_USERNAMES = ("energy_officer",)
