"""The account page (language) and the language switcher that also remembers the choice."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from marketplace.accounts.models import ApiToken
from marketplace.accounts.sessions import user_end_all_sessions


class AccountForm(forms.Form):
    language = forms.ChoiceField(
        label=_("Language"),
        choices=[("", _("As my browser says")), *settings.LANGUAGES],
        required=False,
        help_text=_("Used for the pages and for the e-mails we send you."),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


def _remember(request, response, language: str):
    """Store the choice on the user and in the language cookie."""
    if request.user.is_authenticated and request.user.language != language:
        request.user.language = language
        request.user.save(update_fields=["language"])
    if language:
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
    else:
        response.delete_cookie(settings.LANGUAGE_COOKIE_NAME, path=settings.LANGUAGE_COOKIE_PATH)
    return response


@require_POST
def set_language(request):
    """Django's set_language (POST `language`, `next`); a signed-in user's choice is also saved
    on their account, so it follows them to other devices and into e-mails."""
    response = django_set_language(request)
    language = request.POST.get("language", "")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        _remember(request, response, language)
    return response


@login_required
def account(request):
    form = AccountForm(request.POST or None, initial={"language": request.user.language})
    if request.method == "POST" and form.is_valid():
        language = form.cleaned_data["language"]
        if language:
            translation.activate(language)
        response = redirect("account")
        _remember(request, response, language)
        messages.success(request, gettext("Your settings are saved."))
        return response
    return render(request, "account/settings.html", {"form": form})


# --- Account security: sessions and tokens (/account/security/) ------------------------------


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
