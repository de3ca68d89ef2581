"""From a catalogue item to its workflow and the place it is handled."""
from bohai.engines.workflows.definitions import Process
from bohai.kernel.regions.models import Level, Region

from .models import ServiceItem

ISSUE_STAGE, DELIVER_STAGE, ACCEPT_STAGE = "issue", "deliver", "accept"


def process_for(item: ServiceItem) -> Process:
    """The item's declared workflow, or the default 受理 → 审查 → 决定 → 制证 → 送达 fitted to its statutory limit."""
    if item.workflow:
        return Process.from_declaration(item.workflow)
    return Process.from_declaration({"stages": _default_stages(item.statutory_days, bool(item.license_type))})


def _default_stages(limit: int, issues_license: bool) -> list[dict]:
    accept = 1 if limit >= 3 else 0
    issue = 1 if issues_license and limit >= 5 else 0
    deliver = 1 if limit >= 5 else 0
    decide = max(1, limit // 5) if limit >= 2 else 0
    review = max(0, limit - accept - issue - deliver - decide)
    stages = [
        {"key": ACCEPT_STAGE, "name": "受理", "role": "window_clerk", "days": accept},
        {"key": "review", "name": "审查", "role": "service_officer", "days": review},
        {"key": "decide", "name": "决定", "role": "department_head", "days": decide},
    ]
    if issues_license:
        stages.append({"key": ISSUE_STAGE, "name": "制证", "role": "service_officer", "days": issue})
    stages.append({"key": DELIVER_STAGE, "name": "送达", "role": "window_clerk", "days": deliver})
    return stages


def decision_stage(process: Process) -> str:
    """The stage whose approval is the decision: the last one before issuing and delivery."""
    deciding = [stage.key for stage in process.stages if stage.key not in (ISSUE_STAGE, DELIVER_STAGE)]
    return deciding[-1]


def handling_region(item: ServiceItem, applicant_region: Region) -> Region:
    """County items go to the applicant's county (or functional zone); city-only items to the city."""
    keys = applicant_region.path.strip("/").split("/")
    ancestors = {r.level: r for r in Region.objects.filter(key__in=keys).defer("boundary")}
    if "county" in item.levels:
        local = ancestors.get(Level.COUNTY) or ancestors.get(Level.ZONE)
        if local is not None:
            return local
    return ancestors.get(Level.CITY) or applicant_region
