"""Which unit of a function serves a place, answered from memory.

Every case report and every application asks this several times (dispatch, workflow start, each task
of another department), over many different grids; one query per function fills a map
{region key: unit} that serves them all. Units change rarely: a change in this process empties the
map at once (the signals below), other processes see it within REFRESH_SECONDS.
"""
import copy
import threading
import time

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import Organisation

REFRESH_SECONDS = 60
_lock = threading.Lock()
_units_by_function: dict[str, tuple[float, dict]] = {}
_generation = [0]  # counts forget()s: a map read before a change is not stored after it


def counterpart(function: str, region) -> Organisation | None:
    """The unit with this function serving the region or its nearest ancestor (属地: a township's
    case goes to its county's bureau). A copy each time: callers may change or cache what they get."""
    units = _units_of(function)
    for key in reversed(region.path.strip("/").split("/")):
        unit = units.get(key)
        if unit is not None:
            return _copy(unit)
    return None


def forget() -> None:
    """Empty this process's map (after a change, and around every test)."""
    with _lock:
        _units_by_function.clear()
        _generation[0] += 1


def _units_of(function: str) -> dict:
    entry = _units_by_function.get(function)
    now = time.monotonic()
    if entry is not None and now - entry[0] <= REFRESH_SECONDS:
        return entry[1]
    generation = _generation[0]
    units = {}
    for unit in Organisation.objects.filter(function=function).select_related("region").defer("region__boundary"):
        units[unit.region.key] = unit  # in the model's order (path): the last of two in one region wins, as before
    with _lock:
        if generation == _generation[0]:
            _units_by_function[function] = (now, units)
    return units


def _copy(unit: Organisation) -> Organisation:
    unit = copy.copy(unit)  # Model.__getstate__ copies its state and its cache of related objects
    unit._state.fields_cache["region"] = copy.copy(unit.region)
    return unit


@receiver(post_save, sender=Organisation, dispatch_uid="organisations.directory.saved")
@receiver(post_delete, sender=Organisation, dispatch_uid="organisations.directory.deleted")
def _unit_changed(**kwargs) -> None:
    forget()
