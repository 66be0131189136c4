"""The JSON API: one NinjaAPI, a router per app, one exception handler for domain errors."""

import logging

from django.core.exceptions import (
    BadRequest,
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
)
from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.http import Http404
from django.http.multipartparser import MultiPartParserError
from ninja import NinjaAPI, Router, Swagger
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from marketplace.accounts.api import router as accounts_router
from marketplace.api_auth import API_AUTH
from marketplace.core.errors import DomainError
from marketplace.core.middleware_body import TOO_LARGE_CODE, too_large_message
from marketplace.helpers.api import operator_router
from marketplace.helpers.api import router as helpers_router
from marketplace.jobs.api import router as jobs_router
from marketplace.payments.api import helper_router as payments_helper_router
from marketplace.payments.api import operator_router as payments_operator_router
from marketplace.payments.api import router as payments_router
from marketplace.pricing.api import operator_router as pricing_operator_router
from marketplace.pricing.api import router as pricing_router
from marketplace.security import audit
from marketplace.security.ratelimit import RateLimited, document_rate_limits
from marketplace.supply.api import router as supply_router

AUTH_DESCRIPTION = (
    "Two ways in, both accepted by every operation that needs a login:\n\n"
    "* **Bearer token** (`TokenAuth`, for mobile and other programs): exchange e-mail and "
    "password for a personal token with `POST /api/auth/tokens` (shown once), then send "
    "`Authorization: Bearer <token>`. List them with `GET /api/auth/tokens`, revoke one with "
    "`DELETE /api/auth/tokens/{token_id}`. No CSRF header is needed.\n"
    "* **Browser session** (`SessionAuth`, for the site's own pages): the session cookie of "
    "a logged-in user, plus the `X-CSRFToken` header (the CSRF token of the page) on POST, PUT, "
    "PATCH and DELETE; without it they answer 403.\n\n"
    "In these docs, *Authorize* → `TokenAuth` takes a token; when you are logged in to the site, "
    "*Try it out* also works with your session (the page sends the CSRF header)."
)

# One tag per app, named after it; operator-only operations (under /api/operator/) carry the
# tag of the app they belong to. Every tag a router uses is described here (tests check it).
TAGS = [
    ("accounts", "Sign-up, API tokens (`POST /api/auth/tokens`) and the current user."),
    (
        "security",
        "Logging out everywhere (every session and token); operators deactivate accounts.",
    ),
    ("pricing", "Service categories, markets and quotes; operators edit the price book."),
    (
        "helpers",
        "Applying as a helper, the helper's profile, skills, availability, offers and job "
        "feed; public helper profiles; operators vet, suspend or reject helpers.",
    ),
    (
        "jobs",
        "Posting a request and following it through offer, acceptance, check-in, completion, "
        "confirmation, cancellation, reviews and disputes; operators resolve disputes.",
    ),
    (
        "payments",
        "A job's payment and paying for it; helpers' payout accounts and earnings; operators' "
        "refunds, ledger and bill-to-account invoices.",
    ),
    ("messaging", "Messages between the customer and the assigned helper of a job."),
    ("photos", "Photos attached to a job (private; served only to the job's people)."),
    ("notifications", "A person's notifications and notification preferences."),
    ("privacy", "Downloading all of one's data and erasing one's account."),
    (
        "supply",
        "Operators only: helper supply against demand per area cell, the worst imbalances, "
        "demand-aware helper fee suggestions and applying one to the price book.",
    ),
    (
        "economics",
        "Operators only: funnel, fill rate, margin and break-even (overall, weekly, monthly, "
        "per area), customers' choices per price ratio, what-if pricing.",
    ),
    ("tasks", "Operators only: the background task queue (failed and pending runs, retry)."),
]

api = NinjaAPI(
    title="Fieldfriends API",
    version="1.0.0",
    description=(
        "Customers post requests and follow them; helpers receive offers and work jobs; "
        "operators vet helpers. "
        "Money is integer minor units of `currency`. Errors are `{detail, code}`: "
        "also 413 `too_large` for a body over the size limit (2.5 MB; photo uploads 2.5 MB "
        "plus the photo limit) and 500 `server_error` for an unexpected failure.\n\n"
        "## Authentication\n\n" + AUTH_DESCRIPTION
    ),
    auth=API_AUTH,
    urls_namespace="api",
    openapi_extra={"tags": [{"name": name, "description": text} for name, text in TAGS]},
    # Swagger UI from this site's static files (ninja in INSTALLED_APPS; its template boots it
    # with ninja/swagger-ui-init.js and passes the CSRF token for session calls): no CDN, no
    # inline script, so the Content-Security-Policy holds as it is, with no nonce needed. No
    # validator badge (an image from validator.swagger.io, which img-src refuses); a token
    # pasted into Authorize is not kept in localStorage.
    docs=Swagger(settings={"validatorUrl": None, "persistAuthorization": False}),
)

# Unexpected errors are logged where Django logs its own 500s (with the traceback).
request_logger = logging.getLogger("django.request")


def _error(request, status: int, detail: str, code: str):
    if status in (401, 403):
        audit.authz_denied(request, reason=code, status=status)
    return api.create_response(request, {"detail": detail, "code": code}, status=status)


@api.exception_handler(RateLimited)
def on_rate_limited(request, exc: RateLimited):
    response = _error(request, 429, exc.message, exc.code)
    response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(DomainError)
def on_domain_error(request, exc: DomainError):
    return _error(request, exc.status_code, exc.message, exc.code)


@api.exception_handler(NinjaValidationError)
def on_validation_error(request, exc: NinjaValidationError):
    parts = []
    for err in exc.errors:
        loc = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body", "payload", "query"))
        parts.append(f"{loc}: {err.get('msg')}" if loc else str(err.get("msg")))
    return _error(request, 422, "; ".join(parts) or "Invalid input", "invalid")


@api.exception_handler(AuthenticationError)
def on_auth_error(request, exc):
    return _error(request, 401, "Log in or send a valid API token", "unauthorized")


@api.exception_handler(Http404)
def on_not_found(request, exc):
    return _error(request, 404, "Not found", "not_found")


# Codes for errors raised by django-ninja itself (unparseable body, failed CSRF check, ...).
HTTP_ERROR_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    409: "conflict",
    422: "invalid",
    429: "throttled",
}


@api.exception_handler(HttpError)
def on_http_error(request, exc: HttpError):
    return _error(
        request, exc.status_code, str(exc), HTTP_ERROR_CODES.get(exc.status_code, "error")
    )


@api.exception_handler(RequestDataTooBig)
def on_too_large(request, exc):
    """A body over DATA_UPLOAD_MAX_MEMORY_SIZE that got past the Content-Length check of
    core/middleware_body.py (e.g. form fields of a multipart upload), read by the operation."""
    return _error(request, 413, too_large_message(), TOO_LARGE_CODE)


@api.exception_handler(PermissionDenied)
def on_permission_denied(request, exc):
    return _error(request, 403, str(exc) or "Forbidden", "forbidden")


@api.exception_handler(SuspiciousOperation)
@api.exception_handler(BadRequest)
@api.exception_handler(MultiPartParserError)
def on_bad_request(request, exc):
    """What Django would answer 400 to (a malformed multipart body, a suspicious request)."""
    return _error(request, 400, "Bad request", "bad_request")


@api.exception_handler(Exception)
def on_unexpected_error(request, exc: Exception):
    """Anything else: a JSON 500 in the API's format, never Django's HTML page, and never the
    exception's text (it may hold internals). Logged with its traceback like Django's own 500s,
    and `got_request_exception` is sent so error reporters and the test client see it. A lost
    database is left to core/middleware_db.py (503 with Retry-After)."""
    if isinstance(exc, OperationalError | InterfaceError):
        raise exc
    request_logger.error(
        "Internal Server Error: %s",
        request.path,
        exc_info=(type(exc), exc, exc.__traceback__),
        extra={"status_code": 500, "request": request},
    )
    got_request_exception.send(sender=None, request=request)
    return _error(request, 500, "Internal error", "server_error")


api.add_router("/auth", accounts_router)
api.add_router("/", pricing_router)
# Before helpers' own router, whose /{helper_id} would otherwise be tried first.
api.add_router("/helpers", "marketplace.jobs.api.helper_router")
api.add_router("/helpers", helpers_router)
api.add_router("/operator", operator_router)
api.add_router("/operator", pricing_operator_router)
api.add_router("/jobs", jobs_router)
api.add_router("/jobs", payments_router)
api.add_router("/helpers", payments_helper_router)
api.add_router("/operator", payments_operator_router)
api.add_router("/operator/supply", supply_router)
api.add_router("/operator/economics", "marketplace.economics.api.router")
api.add_router("/jobs", "marketplace.messaging.api.router")
api.add_router("/jobs", "marketplace.photos.api.router")
api.add_router("/operator", "marketplace.jobs.api.operator_router")
api.add_router("/notifications", "marketplace.notifications.api.router")
api.add_router("/operator", "marketplace.core.tasks_api.router")
api.add_router("/auth", "marketplace.accounts.api_security.router")
api.add_router("/operator", "marketplace.accounts.api_security.operator_router")
api.add_router("/me", "marketplace.privacy.api.router")
document_rate_limits(api)

# Last: unknown paths under /api/ answer in the API's error format, not with the HTML 404 page.
fallback_router = Router()


@fallback_router.api_operation(
    ["GET", "POST", "PUT", "PATCH", "DELETE"], "/{path:path}", auth=None, include_in_schema=False
)
def unknown_path(request, path: str):
    return _error(request, 404, "Not found", "not_found")


api.add_router("/", fallback_router)
