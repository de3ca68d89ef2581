"""The energy system's periodic jobs: monthly figures and the hourly exceedance check."""
from datetime import timedelta

from bohai.kernel.jobs.registry import job, periodic

from . import exceedances, figures
from .figures import current_month, months_between

ACTOR = "system:energy"


@periodic(every=timedelta(hours=1))
@job("energy.monthly_figures", lease=timedelta(minutes=30))
def monthly_figures() -> dict:
    """This month and the previous one, whose last readings may still be arriving."""
    return figures.recompute_recent(actor=ACTOR)


@job("energy.recompute_all", lease=timedelta(hours=2))
def recompute_all(first_month: str, last_month: str = "") -> dict:
    """Every month from `first_month` (YYYY-MM) to `last_month` (default: this month), on demand."""
    from datetime import date

    first = date.fromisoformat(f"{first_month}-01")
    last = date.fromisoformat(f"{last_month}-01") if last_month else current_month()
    return figures.recompute(months_between(first, last), actor=ACTOR)


@periodic(every=timedelta(hours=1))
@job("energy.check_exceedances", lease=timedelta(minutes=30))
def check_exceedances() -> dict:
    found = exceedances.check_recent(actor=ACTOR)
    return {"new": len(found)}
