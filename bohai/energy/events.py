"""What the energy system does with its own events.

`energy.exceedance_found` (one per device, pollutant and hour over the permit limit) tells the energy officers
whose region holds the enterprise, in the app: once per enterprise, pollutant and Beijing day (`dedupe_key`), so
a stack over its limit for ten hours sends one notification, not ten. Other systems (the operations centre)
may subscribe to the same event; its payload:

    {"enterprise_code": "91130921MA0…", "enterprise": "…", "device_code": "CEMS-…", "pollutant": "so2",
     "hour": "2026-03-10T01:00:00+00:00", "average": 37.0, "limit": "35.000", "ratio": 1.057}
"""
from datetime import datetime

from django.utils.translation import gettext as _

from bohai.kernel.events.outbox import handles

from .figures import BEIJING
from .models import KeyEnterprise, Pollutant

OFFICER_ROLE = "energy_officer"
ACTOR = "system:energy"


def officers_over(region) -> list[int]:
    """Ids of the energy officers whose assignment's region subtree holds `region`."""
    from bohai.kernel.accounts.models import RoleAssignment

    assignments = RoleAssignment.objects.filter(role__code=OFFICER_ROLE).values_list("user_id", "region__path")
    return sorted({user_id for user_id, path in assignments if region.path.startswith(path)})


@handles("energy.exceedance_found")
def notify_officers(event) -> None:
    from bohai.kernel.notifications.actions import notify
    from bohai.kernel.notifications.models import Level

    payload = event.payload
    enterprise = KeyEnterprise.objects.select_related("region").filter(
        enterprise_code=payload["enterprise_code"]).first()
    if enterprise is None:
        return
    hour = datetime.fromisoformat(payload["hour"]).astimezone(BEIJING)
    pollutant = Pollutant(payload["pollutant"]).label
    notify(officers_over(enterprise.region), actor=ACTOR, level=Level.WARNING, topic="energy.exceedance",
           title=_("%(enterprise)s %(pollutant)s排放超标") % {"enterprise": enterprise.name, "pollutant": pollutant},
           body=_("%(hour)s 时小时均值 %(average)s mg/m³，许可限值 %(limit)s mg/m³（%(ratio).2f 倍），监测设备 %(device)s")
           % {"hour": f"{hour:%Y-%m-%d %H}", "average": payload["average"], "limit": payload["limit"],
              "ratio": payload["ratio"], "device": payload["device_code"]},
           link=enterprise.get_absolute_url(),
           dedupe_key=f"energy.exceedance:{enterprise.enterprise_code}:{payload['pollutant']}:{hour:%Y-%m-%d}")
