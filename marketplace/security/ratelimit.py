"""Abuse limits: fixed-window counters in the database, exact across processes.

Each limit is `settings.RATE_LIMITS[name]`, a string "<count>/<window>" such as "10/15m" (window
in s, m, h or d; "0" or "" turns the limit off). A hit is one atomic upsert

    INSERT … ON CONFLICT (key, window_start) DO UPDATE SET count = count + 1 RETURNING count

so concurrent requests in any number of processes each get their own, exact count (SQLite ≥ 3.35
and PostgreSQL). Over the limit, `RateLimited` is raised: the API answers it as 429 JSON
(marketplace/api.py), the web as the 429 page (marketplace/security/middleware.py), both with a
Retry-After header counting the seconds to the end of the window.

Apply a limit to a view with one line: `@rate_limit("job_post", key="user")`.
"""

import hashlib
import ipaddress
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache, wraps

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.utils import timezone
from django.utils.translation import ngettext

from marketplace.core.errors import DomainError

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_SPEC = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([smhd])\s*$")


@dataclass(frozen=True)
class Limit:
    name: str
    count: int
    seconds: int


def parse_limit(name: str, spec: str) -> Limit | None:
    """ "10/15m" → Limit(name, 10, 900); "0", "" or "0/1h" → None (the limit is off)."""
    spec = (spec or "").strip()
    if spec in ("", "0"):
        return None
    match = _SPEC.match(spec)
    if not match:
        raise ImproperlyConfigured(
            f"Rate limit {name}={spec!r}: use <count>/<window>, e.g. 10/15m, 60/1h, or 0 for off"
        )
    count, amount, unit = int(match[1]), int(match[2] or 1), match[3]
    if count == 0:
        return None
    seconds = amount * _UNITS[unit]
    if seconds <= 0:
        raise ImproperlyConfigured(f"Rate limit {name}={spec!r}: the window must be positive")
    return Limit(name=name, count=count, seconds=seconds)


def get_limit(name: str) -> Limit | None:
    limits = getattr(settings, "RATE_LIMITS", {})
    if name not in limits:
        raise ImproperlyConfigured(f"Unknown rate limit {name!r}: add it to settings.RATE_LIMITS")
    return parse_limit(name, limits[name])


def _wait_text(seconds: int) -> str:
    if seconds < 120:
        return ngettext("%(n)d second", "%(n)d seconds", seconds) % {"n": seconds}
    minutes = math.ceil(seconds / 60)
    return ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}


class RateLimited(DomainError):
    """Too many requests of one kind from one subject in the current window."""

    status_code = 429
    code = "rate_limited"

    def __init__(self, limit: Limit, retry_after: int):
        self.limit = limit
        self.retry_after = retry_after
        # Built in the active language; DomainError.message's gettext leaves it as it is.
        super().__init__(
            ngettext(
                "Too many attempts: at most %(count)d in this period. Try again in %(wait)s.",
                "Too many attempts: at most %(count)d in this period. Try again in %(wait)s.",
                limit.count,
            )
            % {"count": limit.count, "wait": _wait_text(retry_after)}
        )


# --- Counting ----------------------------------------------------------------------------------


def _window(limit: Limit, now: datetime) -> tuple[datetime, datetime]:
    epoch = int(now.timestamp())
    start = epoch - epoch % limit.seconds
    start_at = datetime.fromtimestamp(start, tz=UTC)
    return start_at, start_at + timedelta(seconds=limit.seconds)


def _key(limit: Limit, subject: str) -> str:
    key = f"{limit.name}:{subject}"
    if len(key) > 200:
        key = f"{limit.name}:sha256:{hashlib.sha256(subject.encode()).hexdigest()}"
    return key


def increment(key: str, window_start: datetime, expires_at: datetime) -> int:
    """Add one to the counter of (key, window_start) and return the new count, atomically."""
    from marketplace.security.models import RateLimitCounter

    table = connection.ops.quote_name(RateLimitCounter._meta.db_table)
    q = connection.ops.quote_name
    sql = (
        f"INSERT INTO {table} ({q('key')}, {q('window_start')}, {q('expires_at')}, {q('count')}) "
        f"VALUES (%s, %s, %s, 1) "
        f"ON CONFLICT ({q('key')}, {q('window_start')}) "
        f"DO UPDATE SET {q('count')} = {table}.{q('count')} + 1 "
        f"RETURNING {q('count')}"
    )
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.execute(sql, [key, adapt(window_start), adapt(expires_at)])
        return int(cursor.fetchone()[0])


def hit(name: str, subject, *, request=None, now: datetime | None = None) -> int | None:
    """Count one event of limit `name` for `subject` (an IP, a user id, a hashed e-mail). Return
    the count in the current window (None when the limit is off); raise RateLimited past it."""
    limit = get_limit(name)
    if limit is None or subject in (None, ""):
        return None
    now = now or timezone.now()
    start, end = _window(limit, now)
    count = increment(_key(limit, str(subject)), start, end)
    if count > limit.count:
        retry_after = max(1, math.ceil((end - now).total_seconds()))
        from marketplace.security import audit

        audit.rate_limited(request, limit=limit.name, count=count, retry_after=retry_after)
        raise RateLimited(limit, retry_after)
    return count


def purge_expired(*, now: datetime | None = None) -> int:
    """Delete the counters of finished windows. Returns how many rows went."""
    from marketplace.security.models import RateLimitCounter

    deleted, _ = RateLimitCounter.objects.filter(expires_at__lte=now or timezone.now()).delete()
    return deleted


# --- Subjects ----------------------------------------------------------------------------------


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]):
    networks = []
    for item in proxies:
        try:
            networks.append(ipaddress.ip_network(item.strip(), strict=False))
        except ValueError:
            raise ImproperlyConfigured(
                f"TRUSTED_PROXIES: {item!r} is not an IP or network"
            ) from None
    return tuple(networks)


def _parse_ip(value: str):
    value = (value or "").strip()
    if value.startswith("[") and "]" in value:  # [v6]:port
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # v4:port
        value = value.split(":", 1)[0]
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def client_ip(request) -> str:
    """REMOTE_ADDR; behind proxies listed in settings.TRUSTED_PROXIES (IPs or networks), the
    first address of X-Forwarded-For, read from the right, that is not one of those proxies. A
    client can prepend anything to X-Forwarded-For, so only the hops our proxies added count."""
    remote = request.META.get("REMOTE_ADDR", "") or ""
    networks = _networks(tuple(getattr(settings, "TRUSTED_PROXIES", ()) or ()))
    remote_ip = _parse_ip(remote)
    if not networks or remote_ip is None or not any(remote_ip in n for n in networks):
        return remote
    hops = [h for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    for hop in reversed(hops):
        ip = _parse_ip(hop)
        if ip is None:
            break  # garbage in the header: trust nothing further left
        if not any(ip in n for n in networks):
            return str(ip)
    # Every hop is one of our proxies (or the header is missing/garbled): the last one we saw.
    for hop in hops:
        ip = _parse_ip(hop)
        if ip is not None:
            return str(ip)
    return remote


def email_subject(email: str) -> str:
    """An e-mail address as a counter key: hashed, so the table holds no addresses."""
    normalised = (email or "").strip().lower()
    return hashlib.sha256(normalised.encode()).hexdigest()[:32] if normalised else ""


def _user_subject(request) -> str:
    user = getattr(request, "auth", None) or getattr(request, "user", None)
    return str(user.pk) if user is not None and getattr(user, "is_authenticated", False) else ""


def _subject(key, request, args, kwargs) -> str:
    if key == "ip":
        return client_ip(request)
    if key == "user":
        return _user_subject(request)
    return key(request, *args, **kwargs)


# --- Decorator ---------------------------------------------------------------------------------


def rate_limit(name: str, *, key="ip", methods=("POST",), when=None):
    """Count each request of `methods` against limit `name` before the view runs.

    key: "ip" (the client address), "user" (the logged-in user / API token's user) or a callable
    (request, *args, **kwargs) → subject; `when(request)` may say that a request does not count
    (e.g. a form preview). Works for Django views and django-ninja operations (place it under the
    router decorator; the operation then documents 429 — see `document_rate_limits`)."""
    get_limit(name)  # fail at import time on a name missing from settings

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.method in methods and (when is None or when(request)):
                hit(name, _subject(key, request, args, kwargs), request=request)
            return view(request, *args, **kwargs)

        wrapped.rate_limits = (*getattr(view, "rate_limits", ()), name)
        return wrapped

    return decorator


def document_rate_limits(api) -> None:
    """Add the 429 response to every API operation whose view carries a rate limit, so the
    OpenAPI document is honest about it without each router repeating it."""
    from marketplace.core.schemas import ErrorOut

    def visit(router):
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                if getattr(operation.view_func, "rate_limits", ()) and (
                    429 not in operation.response_models
                ):
                    operation.response_models[429] = operation._create_response_model(ErrorOut)
        for child in getattr(router, "_routers", ()):
            visit(child[1])

    for mounted in api._routers:
        visit(mounted[1])


def payload_email(request, *args, payload=None, **kwargs) -> str:
    """Key function for API operations whose JSON body has an `email`."""
    return email_subject(getattr(payload, "email", "") or "")


def form_email(field: str = "username"):
    """Key function for web forms posting an e-mail address in `field`."""

    def key(request, *args, **kwargs) -> str:
        return email_subject(request.POST.get(field, ""))

    return key
