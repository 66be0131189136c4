"""The account security page: log out on every device."""

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from marketplace.accounts.models import ApiToken
from marketplace.security.sessions import user_end_all_sessions


@login_required
def account_security(request):
    tokens = ApiToken.objects.filter(user=request.user, revoked_at__isnull=True).count()
    return render(request, "security/account.html", {"active_tokens": tokens})


@login_required
@require_POST
def logout_everywhere(request):
    """End every session of this account (this one too) and revoke its API tokens."""
    user_end_all_sessions(user=request.user)
    logout(request)
    messages.success(
        request, gettext("You are logged out on every device. Your API tokens no longer work.")
    )
    return redirect("login")
