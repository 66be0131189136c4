"""Ending sessions everywhere, portably (database, cache or signed-cookie sessions alike).

Every session stores a hash of the user's `get_session_auth_hash()`; the User model mixes its
`session_generation` into that hash (marketplace/accounts/models.py). Bumping the generation makes
every existing session's hash stale, so Django ends each one at its next request, on every device.
"""

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from marketplace.accounts.models import ApiToken, User


@transaction.atomic
def user_end_all_sessions(*, user: User, revoke_tokens: bool = True) -> int:
    """End all of `user`'s browser sessions and (by default) revoke their API tokens. Returns the
    number of tokens revoked. The caller's own session ends too: log it out as well."""
    User.objects.filter(pk=user.pk).update(session_generation=F("session_generation") + 1)
    user.refresh_from_db(fields=["session_generation"])
    if not revoke_tokens:
        return 0
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


@transaction.atomic
def user_deactivate(*, actor: User, user: User, reason: str) -> User:
    """An operator closes an account (e.g. an abusive customer): it can no longer log in, all its
    sessions end and its API tokens are revoked. Operators' own accounts are out of reach here."""
    from marketplace.core.errors import NotAllowed, ValidationFailed

    if not actor.is_operator:
        raise NotAllowed("Only operators can deactivate accounts")
    if user.is_operator:
        raise NotAllowed("Operator accounts are managed in the admin")
    if not (reason or "").strip():
        raise ValidationFailed("Give a reason")
    if user.is_active:
        user.is_active = False
        user.save(update_fields=["is_active"])
    user_end_all_sessions(user=user)
    from marketplace.security import audit

    audit.emit("user_deactivated", user=actor, target_user_id=user.pk, reason=reason.strip()[:200])
    return user
