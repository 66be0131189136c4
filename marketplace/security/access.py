"""Who may open which page: a role check for views. Anonymous visitors are sent to the login
page; a logged-in user of the wrong role gets 403, and the refusal is audited."""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext

from marketplace.security import audit


def role_required(check: Callable) -> Callable:
    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not check(request.user):
                audit.authz_denied(request, reason="wrong_role", status=403)
                raise PermissionDenied(gettext("This page is not for your account type"))
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


customer_required = role_required(lambda user: user.is_customer and not user.is_operator)


helper_required = role_required(lambda user: user.is_helper and not user.is_operator)


operator_required = role_required(lambda user: user.is_operator)
