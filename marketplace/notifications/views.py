"""Notification pages for everyone logged in: the list (newest first, unread highlighted),
opening one (marks it read, then goes where it points), "mark all read", and e-mail
preferences. Nobody sees or marks another person's notifications (404)."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from marketplace.core.errors import NotFound
from marketplace.notifications import selectors, services
from marketplace.notifications.models import Kind

PAGE_SIZE = 20


class EmailPreferencesForm(forms.Form):
    """One checkbox per kind: send it by e-mail too."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for kind, label in Kind.choices:
            self.fields[kind] = forms.BooleanField(label=label, required=False)


@login_required
def notification_list(request):
    unread_only = request.GET.get("unread") == "1"
    qs = selectors.notifications_for(user=request.user, unread=unread_only)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "notifications/list.html",
        {
            "page": page,
            "unread_only": unread_only,
            "query": "unread=1" if unread_only else "",
        },
    )


@login_required
@require_POST
def notification_open(request, notification_id: int):
    """Mark one read and follow its link (back to the list when it has none)."""
    try:
        notification = services.notification_mark_read(
            user=request.user, notification_id=notification_id
        )
    except NotFound:
        raise Http404("Notification not found") from None
    target = notification.url
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("notifications:list")


@login_required
@require_POST
def notifications_read_all(request):
    marked = services.notifications_mark_all_read(user=request.user)
    if marked:
        messages.success(request, gettext("All notifications are marked as read."))
    return redirect("notifications:list")


@login_required
def notification_preferences(request):
    if request.method == "POST":
        form = EmailPreferencesForm(request.POST)
        if form.is_valid():
            services.email_preferences_set(user=request.user, email=form.cleaned_data)
            messages.success(request, gettext("Your e-mail preferences are saved."))
            return redirect("notifications:preferences")
    else:
        form = EmailPreferencesForm(initial=services.email_preferences(user=request.user))
    return render(
        request,
        "notifications/preferences.html",
        {"form": form, "title": _("Notification settings")},
    )
