"""`unread_notifications` for the nav badge: one COUNT, only when a template uses it."""

from django.utils.functional import SimpleLazyObject

from marketplace.notifications.selectors import unread_count


def notifications(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"unread_notifications": 0}
    return {"unread_notifications": SimpleLazyObject(lambda: unread_count(user=user))}
