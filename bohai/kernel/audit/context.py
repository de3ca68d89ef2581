"""Who is acting and from where, carried through a request, a job or a CLI command.

The audit trail needs the source of every change; passing it through every
function signature would clutter the service layer, so it rides in a context
variable that the request middleware, the job runner and the CLI set.
"""
import contextvars
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True)
class Origin:
    channel: str  # "web", "api", "cli", "job", "test"
    address: str = ""
    user_agent: str = ""


_origin: contextvars.ContextVar[Origin] = contextvars.ContextVar("bohai_origin", default=Origin("cli"))


def current_origin() -> Origin:
    return _origin.get()


@contextmanager
def origin(channel: str, address: str = "", user_agent: str = ""):
    token = _origin.set(Origin(channel, address, user_agent[:200]))
    try:
        yield
    finally:
        _origin.reset(token)
