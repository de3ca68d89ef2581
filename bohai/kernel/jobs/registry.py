"""Declaring background jobs and putting them in the queue.

An app declares its jobs in its `jobs.py` (imported when the app registry is ready):

    @job("cases.remind_overdue", max_attempts=5)
    def remind_overdue(case_id: int): ...

    @periodic(every=timedelta(minutes=15))
    @job("iot.check_silent_devices")
    def check_silent_devices(): ...

and anything may queue one, typically inside an action so that the job exists only if
the action commits:

    enqueue("cases.remind_overdue", case_id=case.pk)

Arguments travel as JSON, so they must be plain values (ids, strings, numbers).
Job code runs as an actor of its own and changes data only through actions.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

from django.utils import timezone

from .models import Job
from .wakeup import announce_work

DEFAULT_MAX_ATTEMPTS = 3
DEFAULT_RETRY_DELAY = timedelta(seconds=30)
DEFAULT_LEASE = timedelta(hours=1)


@dataclass(frozen=True)
class JobDefinition:
    name: str
    function: Callable
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    retry_delay: timedelta = DEFAULT_RETRY_DELAY
    # How long a worker may hold the job before others presume the worker dead.
    lease: timedelta = DEFAULT_LEASE
    every: timedelta | None = None


class JobRegistry:
    def __init__(self):
        self.definitions: dict[str, JobDefinition] = {}

    def add(self, definition: JobDefinition) -> None:
        known = self.definitions.get(definition.name)
        if known is not None and _qualified_name(known.function) != _qualified_name(definition.function):
            raise ValueError(f"job {definition.name!r} is already registered by {_qualified_name(known.function)}")
        self.definitions[definition.name] = definition

    def get(self, name: str) -> JobDefinition:
        try:
            return self.definitions[name]
        except KeyError:
            raise LookupError(f"no job is registered as {name!r}") from None

    def periodic(self) -> list[JobDefinition]:
        return [d for d in self.definitions.values() if d.every is not None]


registry = JobRegistry()


def _qualified_name(function: Callable) -> str:
    return f"{function.__module__}.{function.__qualname__}"


def job(name: str, *, max_attempts: int = DEFAULT_MAX_ATTEMPTS, retry_delay: timedelta = DEFAULT_RETRY_DELAY,
        lease: timedelta = DEFAULT_LEASE):
    """Register a function as the job `name`; the function itself is returned unchanged."""

    def register(function):
        registry.add(JobDefinition(name, function, max_attempts, retry_delay, lease))
        function.job_name = name
        return function

    return register


def periodic(*, every: timedelta, name: str | None = None, max_attempts: int = 1):
    """Run a job every `every`, once across all workers; place it above @job or give it a name."""
    if every.total_seconds() < 1:
        raise ValueError("a periodic job runs at most once a second")

    def register(function):
        job_name = name or getattr(function, "job_name", None)
        if job_name is None:
            raise ValueError(f"{_qualified_name(function)}: put @periodic above @job, or give it a name")
        known = registry.definitions.get(job_name)
        if known is None:
            known = JobDefinition(job_name, function, max_attempts)
        registry.add(JobDefinition(known.name, function, known.max_attempts, known.retry_delay, known.lease, every))
        function.job_name = job_name
        return function

    return register


def enqueue(name: str, run_after: datetime | None = None, **arguments) -> Job:
    """Queue the registered job `name`; it runs after the surrounding transaction commits."""
    definition = registry.get(name)
    if run_after is not None and timezone.is_naive(run_after):
        raise ValueError("run_after must be an aware datetime")
    queued = Job.objects.create(
        name=definition.name,
        arguments=arguments,
        max_attempts=definition.max_attempts,
        run_after=run_after or timezone.now(),
    )
    announce_work()
    return queued
