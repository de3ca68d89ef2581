"""The signed-in account, and staff accounts within scope."""
from ninja import Router, Schema
from ninja.pagination import paginate

from bohai.kernel.api.paging import PageNumbers

from .models import User

router = Router()


class AssignmentOut(Schema):
    role: str
    role_name: str
    region: str
    organisation: str | None


class AccountOut(Schema):
    id: int
    username: str
    display_name: str
    kind: str
    organisation: str | None
    two_factor: bool
    assignments: list[AssignmentOut]

    @staticmethod
    def resolve_display_name(user):
        return str(user)

    @staticmethod
    def resolve_organisation(user):
        return user.organisation.name if user.organisation_id else None

    @staticmethod
    def resolve_two_factor(user):
        return user.has_two_factor

    @staticmethod
    def resolve_assignments(user):
        return [
            {"role": a.role.code, "role_name": a.role.name, "region": a.region.name,
             "organisation": a.organisation.name if a.organisation_id else None}
            for a in user.role_assignments.all()
        ]


@router.get("/me", response=AccountOut, summary="当前账户")
def me(request):
    return request.auth


@router.get("/users", response=list[AccountOut], summary="工作人员账户（限权限范围）")
@paginate(PageNumbers)
def list_users(request):
    return (User.objects.restrict(request.auth, "view").select_related("organisation")
            .prefetch_related("role_assignments__role", "role_assignments__region", "role_assignments__organisation")
            .order_by("username"))


@router.get("/users/{user_id}", response=AccountOut, summary="工作人员账户详情")
def get_user(request, user_id: int):
    return User.objects.select_related("organisation").get_in_scope(request.auth, "view", pk=user_id)
