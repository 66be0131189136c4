import secrets

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from marketplace.accounts.models import ApiToken, Role, User, hash_token
from marketplace.core.errors import NotAllowed, ValidationFailed

TOKEN_PREFIX = "ff_"


@transaction.atomic
def user_sign_up(
    *,
    email: str,
    password: str,
    full_name: str = "",
    phone: str = "",
    role: str = Role.CUSTOMER,
    language: str = "",
) -> User:
    """`language` is the person's UI/e-mail language ("" = none chosen: the browser decides)."""
    if role not in (Role.CUSTOMER, Role.HELPER):
        raise NotAllowed("Only customer and helper accounts can sign up")
    if language and language not in dict(settings.LANGUAGES):
        raise ValidationFailed(f"language must be one of {', '.join(dict(settings.LANGUAGES))}")
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationFailed("Enter a valid e-mail address") from None
    if User.objects.filter(email=email).exists():
        raise ValidationFailed("An account with this e-mail already exists", code="email_taken")
    user = User(
        email=email, full_name=full_name.strip(), phone=phone.strip(), role=role, language=language
    )
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationFailed(" ".join(exc.messages)) from None
    user.set_password(password)
    user.save()
    return user


@transaction.atomic
def api_token_create(*, user: User, name: str = "mobile") -> tuple[ApiToken, str]:
    """Return the token row and the raw token; the raw value is not stored anywhere."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name[:100] or "mobile", prefix=raw[:10], token_hash=hash_token(raw)
    )
    return token, raw


@transaction.atomic
def api_token_revoke(*, token: ApiToken) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def api_token_authenticate(*, raw: str) -> User | None:
    if not raw or not raw.startswith(TOKEN_PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(token_hash=hash_token(raw), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    # Touch at most once a minute: authentication stays a read on the hot path.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
