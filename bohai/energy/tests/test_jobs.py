"""The periodic jobs are registered and run; the command recomputes on demand."""
from datetime import timedelta

import pytest
from django.core.management import call_command

from bohai.energy.figures import current_month
from bohai.energy.models import MonthlyEnergy
from bohai.kernel.jobs.registry import registry

pytestmark = pytest.mark.django_db


def test_jobs_are_periodic():
    assert registry.get("energy.monthly_figures").every == timedelta(hours=1)
    assert registry.get("energy.check_exceedances").every == timedelta(hours=1)
    assert registry.get("energy.recompute_all").every is None


def test_jobs_run(enterprises):
    assert registry.get("energy.monthly_figures").function()["created"] == 4  # 2 enterprises × 2 months
    assert registry.get("energy.check_exceedances").function() == {"new": 0}
    assert registry.get("energy.recompute_all").function(first_month="2020-01", last_month="2020-03")["created"] == 6


def test_command_recomputes_a_year(enterprises, capsys):
    call_command("energy_recompute", "--exceedances-days", "2")
    assert MonthlyEnergy.objects.filter(month=current_month()).count() == 2
    assert MonthlyEnergy.objects.count() == 24
    assert "新增 24" in capsys.readouterr().out
