"""services.refresh_monthly_figures (every five minutes): the statistics dashboard's monthly figures, this
month and the one before on every run, every month on the first run after 02:00 (statistics_rollup)."""
from datetime import timedelta

from bohai.kernel.jobs.registry import job, periodic

from . import statistics_rollup

EVERY = timedelta(minutes=5)


@periodic(every=EVERY)
@job("services.refresh_monthly_figures", lease=timedelta(minutes=4))
def refresh_monthly_figures() -> dict:
    return statistics_rollup.refresh_monthly_figures()
