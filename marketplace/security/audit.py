"""The security audit log: one structured record per refused request, failed login or rate-limit
hit, on the `marketplace.security` logger.

Each record is a dict (`record.security`, for handlers that ship JSON) and its JSON text as the
message. Records carry who (user id, role), what (method, path, view or operation name), why
(reason) and from where (client IP). They never carry tokens, passwords, cookies, headers, card
data, addresses or e-mail addresses (a failed login's e-mail is a keyed hash, enough to see
that the same account is being tried)."""

import json
import logging
from contextvars import ContextVar

from django.utils.crypto import salted_hmac

logger = logging.getLogger("marketplace.security")

# The request being served, for code that has no request at hand (set by SecurityMiddleware).
current_request: ContextVar = ContextVar("marketplace_security_request", default=None)


def hash_email(email: str) -> str:
    normalised = (email or "").strip().lower()
    if not normalised:
        return ""
    return salted_hmac("marketplace.security.audit.email", normalised).hexdigest()[:16]


def _user_fields(request, user) -> dict:
    if user is None and request is not None:
        user = getattr(request, "auth", None) or getattr(request, "user", None)
    if user is None or not getattr(user, "is_authenticated", False):
        return {"user_id": None, "role": "anonymous"}
    role = "operator" if getattr(user, "is_operator", False) else getattr(user, "role", "")
    return {"user_id": user.pk, "role": role}


def _request_fields(request) -> dict:
    if request is None:
        return {}
    from marketplace.security.ratelimit import client_ip

    match = getattr(request, "resolver_match", None)
    return {
        "method": request.method,
        "path": request.path,
        "view": match.view_name if match else "",
        "ip": client_ip(request),
    }


def emit(event: str, request=None, *, user=None, level=logging.WARNING, **fields) -> dict:
    request = request if request is not None else current_request.get()
    record = {
        "event": event,
        **_user_fields(request, user),
        **_request_fields(request),
        **fields,
    }
    logger.log(level, json.dumps(record, default=str, sort_keys=True), extra={"security": record})
    return record


def authz_denied(request=None, *, reason: str, status: int, user=None, **fields) -> dict:
    return emit("authz_denied", request, user=user, reason=reason, status=status, **fields)


def rate_limited(request=None, *, limit: str, count: int, retry_after: int) -> dict:
    return emit("rate_limited", request, limit=limit, count=count, retry_after=retry_after)


def on_login_failed(sender, credentials=None, request=None, **kwargs):
    """`user_login_failed` receiver (web login form and API token exchange both authenticate())."""
    credentials = credentials or {}
    email = credentials.get("email") or credentials.get("username") or ""
    emit(
        "login_failed",
        request,
        user=None,
        reason="bad_credentials",
        email_hash=hash_email(str(email)),
    )
