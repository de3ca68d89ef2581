from django.utils import timezone

from bohai.kernel.database.writes import insert_unread

from ..models import Case, CaseEvent


def add_event(case: Case, kind: str, *, actor, at=None, public: bool = True, **params) -> None:
    """Add to the case's timeline; on PostgreSQL the row goes to the server with the action's COMMIT."""
    user = actor if hasattr(actor, "pk") and not isinstance(actor, str) else None
    label = (getattr(user, "display_name", "") or getattr(user, "username", "")) if user else str(actor)
    insert_unread(CaseEvent(case=case, kind=kind, at=at or timezone.now(), actor=user, actor_label=label[:100],
                            params=params, public=public))
