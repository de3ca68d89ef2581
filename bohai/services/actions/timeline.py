"""Typed timeline entries (Saleor's order events): what happened to an application, by whom, with what."""
from django.utils import timezone

from ..models import Application, ApplicationEvent


def add_event(application: Application, kind: str, *, actor, at=None, public: bool = True, **params) -> ApplicationEvent:
    user = actor if hasattr(actor, "pk") and not isinstance(actor, str) else None
    label = (getattr(user, "display_name", "") or getattr(user, "username", "")) if user else str(actor)
    return ApplicationEvent.objects.create(application=application, kind=kind, at=at or timezone.now(), actor=user,
                                           actor_label=label[:100], params=params, public=public)
