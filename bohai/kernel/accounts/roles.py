"""The reference roles: which actions on which record types each role grants.

Permissions are Django's "<app>.<action>_<model>" codes; restrict() applies each grant
only within the scope of the assignment that carries it.
"""
from dataclasses import dataclass

PEOPLE_READ = ["identities.view_person", "identities.view_legalentity"]
PEOPLE_WRITE = ["identities.add_person", "identities.change_person", "identities.add_legalentity", "identities.change_legalentity"]
REFERENCE_READ = ["regions.view_region", "organisations.view_organisation", "organisations.view_position"]


@dataclass(frozen=True)
class RoleSpec:
    code: str
    name: str
    description: str
    permissions: tuple[str, ...]
    requires_two_factor: bool = False


REFERENCE_ROLES = (
    RoleSpec("platform_admin", "平台管理员", "配置平台、管理账户与角色、查看任务", (
        *REFERENCE_READ, *PEOPLE_READ, *PEOPLE_WRITE, "regions.import_region", "regions.change_region",
        "organisations.add_organisation", "organisations.change_organisation", "accounts.view_user",
        "accounts.add_user", "accounts.change_user", "jobs.view_job", "bohai_api.add_apikey", "bohai_api.view_apikey",
    ), requires_two_factor=True),
    RoleSpec("auditor", "安全审计员", "查看审计记录、校验审计链", (
        "audit.view_auditrecord", "accounts.view_user", *REFERENCE_READ,
    ), requires_two_factor=True),
    RoleSpec("data_officer", "数据管理员", "导入导出人口与法人数据，按需查看未脱敏信息", (
        *REFERENCE_READ, *PEOPLE_READ, *PEOPLE_WRITE, "identities.unmask_person", "identities.override_pilot_code",
    )),
    RoleSpec("city_officer", "市级业务人员", "办理全市范围内的业务", (*REFERENCE_READ, *PEOPLE_READ, *PEOPLE_WRITE)),
    RoleSpec("county_officer", "县级业务人员", "办理本县（市、区）范围内的业务", (*REFERENCE_READ, *PEOPLE_READ, *PEOPLE_WRITE)),
    RoleSpec("window_clerk", "窗口受理员", "在政务服务大厅代申请人登记与受理", (
        *REFERENCE_READ, *PEOPLE_READ, "identities.add_person", "identities.add_legalentity",
    )),
    RoleSpec("department_head", "部门负责人", "查看本部门业务与时限", (*REFERENCE_READ, *PEOPLE_READ, "accounts.view_user")),
    RoleSpec("grid_worker", "网格员", "在所属网格巡查、采集问题", ("regions.view_region", "identities.view_person")),
    RoleSpec("hotline_operator", "12345话务员", "受理群众来电诉求", (*REFERENCE_READ, "identities.view_person")),
    RoleSpec("ops_duty_officer", "运行中心值班员", "监看城市运行体征、处置告警", REFERENCE_READ),
)


def reference_roles() -> list[RoleSpec]:
    """The kernel's roles plus the roles and grants that the installed systems contribute."""
    from dataclasses import replace

    from bohai.kernel.bootstrap.contributions import contributed_grants, contributed_roles

    grants = contributed_grants()
    specs = [*REFERENCE_ROLES, *contributed_roles()]
    return [replace(spec, permissions=tuple(dict.fromkeys((*spec.permissions, *grants.get(spec.code, ())))))
            for spec in specs]
