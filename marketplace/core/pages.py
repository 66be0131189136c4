"""How a service's DomainError becomes what a person sees on a page: a message, or an error on
the form field it is about. Never a 500."""

from collections.abc import Callable

from django.contrib import messages

from marketplace.core.errors import DomainError

# Error codes that belong to the address/location input rather than to the whole form.
LOCATION_ERROR_CODES = {"geocoding_failed", "no_market"}


def attempt(request, action: Callable[[], object], *, success: str = "") -> bool:
    """Run a service call; a DomainError becomes an error message. True when it worked."""
    try:
        action()
    except DomainError as exc:
        messages.error(request, exc.message)
        return False
    if success:
        messages.success(request, success)
    return True


def add_domain_error(form, exc: DomainError, *, location_field: str | None = None) -> None:
    """Attach a service's error to the form field it is about, or to the form as a whole."""
    field = location_field if exc.code in LOCATION_ERROR_CODES else None
    if exc.code == "email_taken" and "email" in form.fields:
        field = "email"
    form.add_error(field, str(exc.message))


# Rows per page on the operators' lists.
PAGE_SIZE = 50
