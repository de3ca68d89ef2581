import pytest

from bohai.kernel.events.outbox import handlers
from bohai.kernel.jobs.registry import registry


@pytest.fixture
def job_registry(monkeypatch):
    """The job registry, restored after the test so that test jobs do not leak into others."""
    monkeypatch.setattr(registry, "definitions", dict(registry.definitions))
    return registry


@pytest.fixture
def event_handlers(monkeypatch):
    monkeypatch.setattr(handlers, "by_event", {name: dict(h) for name, h in handlers.by_event.items()})
    return handlers
