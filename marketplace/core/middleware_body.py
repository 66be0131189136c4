"""Request bodies larger than the server takes answer 413, not 400 or 500.

Django refuses a body over DATA_UPLOAD_MAX_MEMORY_SIZE lazily, by raising `RequestDataTooBig`
when `request.body` or `request.POST` is first read: inside django-ninja (which would turn it
into a 500), in a rate limit or the CSRF check (a bare 400), or in a view. This middleware
answers from the Content-Length header before any of that reads the body, and also catches the
error when a view raises it (a multipart body within the limit but with form fields over it).

Multipart bodies (photo uploads) may be larger: their files are streamed to disk, not held in
memory, and checked by the photo service itself (a photo over PHOTO_MAX_BYTES answers 422 with
a message). So they may carry up to PHOTO_MAX_BYTES + DATA_UPLOAD_MAX_MEMORY_SIZE bytes.

The API answers in its error format `{"detail": ..., "code": "too_large"}`; web pages with the
413 page (templates/413.html, which needs neither the database nor a logged-in user).
"""

import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext

logger = logging.getLogger(__name__)

API_PREFIX = "/api/"
TOO_LARGE_CODE = "too_large"


def body_limit(request) -> int | None:
    """The most bytes this request's body may have; None: no limit."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if limit is None:
        return None
    if request.META.get("CONTENT_TYPE", "").lower().startswith("multipart/form-data"):
        return limit + settings.PHOTO_MAX_BYTES
    return limit


def _content_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0  # Django reads such a body as empty


def too_large_message() -> str:
    return gettext("The request is too large.")


def too_large(request) -> HttpResponse:
    """The 413 answer: JSON under /api/, the 413 page elsewhere."""
    detail = too_large_message()
    if request.path.startswith(API_PREFIX):
        response = JsonResponse({"detail": detail, "code": TOO_LARGE_CODE}, status=413)
    else:
        response = HttpResponse(
            render_to_string("413.html", {"message": detail}),
            status=413,
            content_type="text/html; charset=utf-8",
        )
    # The body was not read: the connection cannot be reused for another request.
    response["Connection"] = "close"
    return response


class RequestBodyLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = body_limit(request)
        length = _content_length(request)
        if limit is not None and length > limit:
            logger.warning(
                "request body too large: %s %s, %d bytes (limit %d)",
                request.method,
                request.path,
                length,
                limit,
            )
            return too_large(request)
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, RequestDataTooBig):
            logger.warning("request body too large: %s %s", request.method, request.path)
            return too_large(request)
        return None
