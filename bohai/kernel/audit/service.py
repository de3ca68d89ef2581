"""The service-layer contract: every change is an action.

An action is atomic, takes a keyword-only `actor`, writes its audit record in the
same transaction (audit.record) and publishes events to the outbox in the same
transaction (events.publish), which are delivered only after commit.
"""
import functools

from django.db import transaction


def service_action(function):
    """Make a function an action: one transaction; `actor` is required and keyword-only."""

    @functools.wraps(function)
    def run(*args, actor, **kwargs):
        with transaction.atomic():
            return function(*args, actor=actor, **kwargs)

    run.is_service_action = True
    return run


class Conflict(Exception):
    """The action lost a race: someone else changed the record first (two officers on one step).

    Pages show the message; the API answers 409. Nothing was changed by the losing action.
    """
