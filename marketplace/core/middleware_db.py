"""The database went away in the middle of a request: answer 503 with Retry-After, not a 500.

A dropped connection, a restarted or failing-over PostgreSQL, a pool that is full, SQLite's
"database is locked" after the busy timeout: Django raises `OperationalError` (or
`InterfaceError` for a connection that is already closed). The transaction of the request was
rolled back as a whole (every service is `atomic`), so nothing half-happened and trying again is
safe; that is what 503 + Retry-After tells clients and browsers. The API answers in its error
format `{detail, code}`, the web with a minimal page that needs neither the database nor the
templates' context processors (which would hit the database again).

Django closes the broken connection at the end of the request (`close_old_connections`), so the
next request of this worker connects afresh. Only errors raised by a view reach this middleware;
one raised by another middleware still ends as Django's 500.
"""

import logging

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.utils.translation import gettext

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
API_PREFIX = "/api/"

PAGE = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><main><h1>{title}</h1><p>{text}</p></main></body></html>
"""


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        logger.error(
            "database unavailable during %s %s: %s: %s",
            request.method,
            request.path,
            type(exception).__name__,
            exception,
        )
        return database_unavailable(request)


def database_unavailable(request) -> HttpResponse:
    detail = gettext(
        "The service is briefly unavailable. Nothing was changed; please try again in a moment."
    )
    if request.path.startswith(API_PREFIX):
        response = JsonResponse({"detail": detail, "code": "unavailable"}, status=503)
    else:
        title = gettext("Temporarily unavailable")
        lang = getattr(request, "LANGUAGE_CODE", "en")
        response = HttpResponse(
            PAGE.format(lang=lang, title=title, text=detail),
            status=503,
            content_type="text/html; charset=utf-8",
        )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response
