from django.template.response import TemplateResponse

from marketplace.security import audit
from marketplace.security.ratelimit import RateLimited


class SecurityMiddleware:
    """Makes the current request known to the audit log, and answers RateLimited raised by a web
    view with the 429 page (the API answers it itself, in JSON)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = audit.current_request.set(request)
        try:
            return self.get_response(request)
        finally:
            audit.current_request.reset(token)

    def process_exception(self, request, exception):
        if isinstance(exception, RateLimited):
            return too_many_requests(request, exception)
        return None


def too_many_requests(request, exc: RateLimited):
    response = TemplateResponse(
        request,
        "429.html",
        {"message": exc.message, "retry_after": exc.retry_after},
        status=429,
    )
    response["Retry-After"] = str(exc.retry_after)
    return response.render()
