"""API authentication: a personal token (`Authorization: Bearer ff_…`) for mobile clients, or the
browser session, CSRF-checked."""

from django.conf import settings
from ninja.security import APIKeyCookie, HttpBearer

from marketplace.accounts.services import api_token_authenticate


class TokenAuth(HttpBearer):
    # The security scheme's description in the OpenAPI document (ninja reads `openapi_*`).
    openapi_description = (
        "A personal API token: `Authorization: Bearer <token>`. Get one with "
        "`POST /api/auth/tokens` (e-mail and password; the token is shown once), revoke it with "
        "`DELETE /api/auth/tokens/{token_id}`. No CSRF header needed."
    )
    openapi_bearerFormat = "ff_… (opaque)"

    def authenticate(self, request, token):
        user = api_token_authenticate(raw=token)
        if user is not None:
            request.user = user
        return user


class SessionAuth(APIKeyCookie):
    """django-ninja's `django_auth`, except that the CSRF check runs only when there is a logged-in
    session to protect. Otherwise an anonymous request, or one with a revoked bearer token, would be
    told "CSRF check Failed" (403) on every POST instead of 401, which clients read as "forbidden"
    rather than "log in again"."""

    param_name = settings.SESSION_COOKIE_NAME
    openapi_description = (
        "The browser session of a user logged in on the site (the session cookie). POST, PUT, "
        "PATCH and DELETE also need the `X-CSRFToken` header with the page's CSRF token, or "
        "they answer 403. For programs, use a bearer token instead."
    )

    def _get_key(self, request):
        if not request.user.is_authenticated:
            return None
        return super()._get_key(request)  # raises HttpError(403) when the CSRF check fails

    def authenticate(self, request, key):
        return request.user if request.user.is_authenticated else None


API_AUTH = [TokenAuth(), SessionAuth()]
