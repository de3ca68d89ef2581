import pytest

from bohai.kernel.events.outbox import handlers
from bohai.kernel.jobs.registry import registry


@pytest.fixture
def job_registry(monkeypatch):
    """An empty job registry for the test (the apps' own jobs, such as audit.seal, stay out of the
    way), restored afterwards so that test jobs do not leak into others."""
    monkeypatch.setattr(registry, "definitions", {})
    return registry


@pytest.fixture
def event_handlers(monkeypatch):
    monkeypatch.setattr(handlers, "by_event", {name: dict(h) for name, h in handlers.by_event.items()})
    return handlers
