"""Your data (/account/privacy/): what we keep and for how long, a JSON download of all of it,
and erasure of the account (password confirmation; refused while a job or payment is open)."""

import json

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from marketplace.core.errors import DomainError
from marketplace.privacy.selectors import export_for
from marketplace.privacy.services import erasure_refusal, user_erase


class ErasureForm(forms.Form):
    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    confirm = forms.BooleanField(
        label=_("I understand that this cannot be undone."),
        required=True,
    )

    def __init__(self, *args, user, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("That is not your password."))
        return password


def _page(request, form, status=200):
    return render(
        request,
        "privacy/privacy.html",
        {
            "form": form,
            "refusal": erasure_refusal(user=request.user),
            "retention": {
                "address": settings.RETENTION_DAYS_JOB_ADDRESS,
                "messages": settings.RETENTION_DAYS_MESSAGES,
                "photos": settings.RETENTION_DAYS_PHOTOS,
                "notifications": settings.RETENTION_DAYS_NOTIFICATIONS,
            },
        },
        status=status,
    )


@login_required
def privacy(request):
    return _page(request, ErasureForm(user=request.user))


@login_required
@require_GET
def export(request):
    """The same document as GET /api/me/export, as a file download."""
    data = export_for(user=request.user)
    body = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    filename = f"fieldfriends-data-{timezone.localdate():%Y-%m-%d}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def erase(request):
    form = ErasureForm(request.POST, user=request.user)
    if not form.is_valid():
        return _page(request, form, status=400)
    try:
        user_erase(user=request.user, via="web")
    except DomainError as exc:
        messages.error(request, exc.message)
        return _page(request, ErasureForm(user=request.user), status=exc.status_code)
    logout(request)
    return render(request, "privacy/erased.html")


# Included from marketplace/urls.py at account/privacy/.
urlpatterns = [
    path("", privacy, name="privacy"),
    path("export/", export, name="privacy_export"),
    path("erase/", erase, name="privacy_erase"),
]
