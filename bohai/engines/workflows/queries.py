"""Who may act on which task: a task names a role, a region and (usually) a unit; a user may act
on it through a role assignment of that role whose region subtree holds the task's region and
whose organisation subtree, when the assignment has one, holds the task's unit."""
from django.db.models import Q, QuerySet

from bohai.kernel.accounts.models import RoleAssignment

from .models import InstanceStatus, TaskStatus, WorkflowTask


def actionable_condition(user) -> Q | None:
    """The condition on WorkflowTask rows this user may act on; None when there are none."""
    if user.is_superuser:
        return Q()
    condition = None
    for role_code, region_path, organisation_path in _assignments(user):
        clause = Q(role=role_code, region__path__startswith=region_path)
        if organisation_path:
            clause &= Q(organisation__path__startswith=organisation_path)
        condition = clause if condition is None else condition | clause
    return condition


def tasks_for(user) -> QuerySet:
    """Open tasks of running processes that this user may act on, soonest due first."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return WorkflowTask.objects.none()
    condition = actionable_condition(user)
    if condition is None:
        return WorkflowTask.objects.none()
    return (WorkflowTask.objects.filter(condition, status=TaskStatus.OPEN, instance__status=InstanceStatus.RUNNING)
            .select_related("instance", "region", "organisation").defer("region__boundary"))


def can_act(user, task: WorkflowTask) -> bool:
    condition = actionable_condition(user) if getattr(user, "is_authenticated", False) else None
    return condition is not None and WorkflowTask.objects.filter(condition, pk=task.pk).exists()


def users_who_can_act(task: WorkflowTask) -> list:
    """Everyone holding the task's role over its region (and unit): who is warned about its deadline."""
    assignments = RoleAssignment.objects.filter(role__code=task.role).select_related("user", "region", "organisation").defer("region__boundary")
    return sorted({a.user for a in assignments if a.user.is_active and _covers(a, task)}, key=lambda u: u.pk)


def heads_of(task: WorkflowTask) -> list:
    """The department heads over the task's unit (the officer's head is warned too)."""
    if task.organisation_id is None:
        return []
    assignments = RoleAssignment.objects.filter(role__code="department_head").select_related("user", "region", "organisation").defer("region__boundary")
    return sorted({a.user for a in assignments if a.user.is_active and _covers(a, task)}, key=lambda u: u.pk)


def _covers(assignment: RoleAssignment, task: WorkflowTask) -> bool:
    if not task.region.path.startswith(assignment.region.path):
        return False
    if assignment.organisation_id is None:
        return True
    return task.organisation_id is not None and task.organisation.path.startswith(assignment.organisation.path)


def _assignments(user) -> list[tuple[str, str, str | None]]:
    cache = user.__dict__.setdefault("_workflow_assignments", None)
    if cache is None:
        cache = [(a.role.code, a.region.path, a.organisation.path if a.organisation_id else None)
                 for a in user.role_assignments.select_related("role", "region", "organisation").defer("region__boundary")]
        user.__dict__["_workflow_assignments"] = cache
    return cache
