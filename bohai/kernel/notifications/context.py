import functools

from .queries import unread_count


def unread_notifications(request):
    """The bell's number: one COUNT, only for a signed-in user, and only if a page shows it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"unread_notifications": 0}
    return {"unread_notifications": functools.cache(functools.partial(unread_count, user))}
