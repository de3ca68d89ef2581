"""Finding a case's open task at a stage and completing it for the actor who may act on it."""
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from bohai.engines.workflows import actions as workflow
from bohai.engines.workflows.models import TaskStatus, WorkflowTask
from bohai.engines.workflows.queries import can_act
from bohai.kernel.audit.service import Conflict

from ..models import Case


def open_task(case: Case, stage_key: str, actor) -> WorkflowTask:
    task = (WorkflowTask.objects.filter(instance_id=case.workflow_id, stage_key=stage_key, status=TaskStatus.OPEN)
            .select_related("region", "organisation").defer("region__boundary").first())
    if task is None:
        raise Conflict(_("案件当前不在“%(stage)s”环节（%(status)s）") % {"stage": _stage_name(stage_key), "status": case.get_status_display()})
    if not (isinstance(actor, str) or can_act(actor, task)):
        raise PermissionDenied(_("您不是该环节的办理人"))
    return task


def take_step(case: Case, stage_key: str, *, actor, at, outcome: str = "approve", comment: str = "",
              expected_version: int | None = None):
    task = open_task(case, stage_key, actor)
    return workflow.complete_task(task, outcome=outcome, comment=comment, actor=actor, at=at,
                                  expected_version=expected_version)


def _stage_name(key: str) -> str:
    return {"file": _("立案"), "dispatch": _("派遣"), "sign": _("签收"), "handle": _("处置"), "verify": _("核查"),
            "route": _("派单"), "follow_up": _("回访")}.get(key, key)
