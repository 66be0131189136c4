"""Every message the marketplace sends, one function each.

Each function is called from the service that made the change, after the change, inside its
transaction: it renders the text in the recipient's language (their `language`, else the site
default), creates the in-app notification and, if the recipient wants this kind by e-mail,
queues the e-mail for when the transaction commits (`services.notify`). Texts use gettext with
named placeholders so they can be translated as whole sentences. A message that cannot be built
is logged and skipped: a notification never stops a job from moving.
"""

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from marketplace.core.formatting import datetime_text
from marketplace.core.money import format_money
from marketplace.notifications.models import Kind
from marketplace.notifications.selectors import recipient_language
from marketplace.notifications.services import notify

logger = logging.getLogger(__name__)


def _send(*, user, kind: str, text: Callable[[], tuple[str, str]], url: str = "", job=None) -> None:
    """Render `text()` → (title, body) in the recipient's language and notify them."""
    if user is None:
        return
    try:
        with translation.override(recipient_language(user)):
            title, body = text()
    except Exception:
        logger.exception("could not build a %s message for user %s", kind, user.pk)
        return
    notify(user=user, kind=kind, title=title, body=body, url=url, job=job)


def first_name(user) -> str:
    name = (user.full_name or "").strip()
    return name.split()[0] if name else user.display_name


def _money(amount: int, currency: str) -> str:
    return format_money(amount, currency)


def _when(value: datetime, job) -> str:
    """A date and time on the job's market clock, written as on every page ("Thu 3 Dec, 10:13",
    marketplace.core.formatting.DATETIME_FORMAT) in the recipient's language."""
    return datetime_text(value, job.market.time_zone)


def _customer_job_url(job, anchor: str = "") -> str:
    return reverse("customer:job", args=[job.pk]) + (f"#{anchor}" if anchor else "")


def _helper_job_url(job) -> str:
    return reverse("helper:job", args=[job.pk])


# --- To helpers ----------------------------------------------------------------------------------


def new_offer(*, offers) -> None:
    """Dispatch offered a job to helpers: each one hears of it, with the deadline to answer."""
    for offer in offers:
        job = offer.job

        def text(job=job, offer=offer):
            params = {
                "category": job.category.localized_name(),
                "city": job.city or _("your area"),
                "payout": _money(job.helper_payout, job.currency),
                "deadline": _when(offer.expires_at, job),
            }
            return (
                _("New job offer: %(category)s in %(city)s") % params,
                _(
                    "A customer in %(city)s needs help with %(category)s. You would earn "
                    "%(payout)s. Accept or decline before %(deadline)s."
                )
                % params,
            )

        _send(user=offer.helper, kind=Kind.NEW_OFFER, text=text, url=_helper_job_url(job), job=job)


def vetting_result(*, profile) -> None:
    """An operator approved or rejected a helper's application."""
    from marketplace.helpers.models import HelperStatus

    approved = profile.status == HelperStatus.VETTED

    def text():
        if approved:
            return (
                _("You are now a Fieldfriends helper"),
                _(
                    "Your application was approved. You will receive job offers near you; "
                    "open requests nearby are listed on your Nearby page."
                ),
            )
        params = {"reason": profile.status_reason or _("no reason given")}
        return (
            _("Your helper application was not approved"),
            _("We could not approve your application. Reason: %(reason)s") % params,
        )

    url = reverse("helper:nearby" if approved else "helper:profile")
    _send(user=profile.user, kind=Kind.VETTING_RESULT, text=text, url=url)


# --- To customers --------------------------------------------------------------------------------


def job_accepted(*, job) -> None:
    """A helper accepted the customer's request."""
    helper = job.assigned_helper

    def text():
        params = {"helper": first_name(helper), "category": job.category.localized_name()}
        return (
            _("%(helper)s accepted your request") % params,
            _(
                "%(helper)s will help you with %(category)s. You can follow the job and "
                "see who is coming on its page."
            )
            % params,
        )

    _send(user=job.customer, kind=Kind.JOB_ACCEPTED, text=text, url=_customer_job_url(job), job=job)


def helper_on_the_way(*, job) -> None:
    """The assigned helper set off to the customer."""
    helper = job.assigned_helper

    def text():
        params = {"helper": first_name(helper), "category": job.category.localized_name()}
        return (
            _("%(helper)s is on the way") % params,
            _("%(helper)s is on the way to you for %(category)s.") % params,
        )

    _send(user=job.customer, kind=Kind.ON_THE_WAY, text=text, url=_customer_job_url(job), job=job)


def job_completed(*, job) -> None:
    """The helper marked the job done: the customer is asked to confirm before the deadline,
    after which it confirms itself."""
    completed = job.completed_at or timezone.now()
    deadline = completed + timedelta(hours=settings.AUTO_CONFIRM_HOURS)

    def text():
        params = {
            "helper": first_name(job.assigned_helper),
            "category": job.category.localized_name(),
            "deadline": _when(deadline, job),
        }
        return (
            _("Please confirm: %(category)s is done") % params,
            _(
                "%(helper)s marked the job as done. Please check that everything works and "
                "confirm it by %(deadline)s; after that it is confirmed automatically. If "
                "something is wrong, tell us before then."
            )
            % params,
        )

    _send(
        user=job.customer,
        kind=Kind.JOB_COMPLETED,
        text=text,
        url=_customer_job_url(job, "confirm-title"),
        job=job,
    )


def payment_captured(*, payment, captured: int, fee: int, on_invoice: bool) -> None:
    """Money was taken: the customer sees the charge (on their card, or, `on_invoice`, as a
    line on their telecom invoice), the helper their payout."""
    job = payment.job
    if captured <= 0:
        return
    payout = captured - min(fee, captured)

    def customer_text():
        params = {
            "amount": _money(captured, payment.currency),
            "category": job.category.localized_name(),
            "job": job.pk,
        }
        if on_invoice:
            # Nothing was taken yet: the amount is a line on the next telecom invoice.
            body = _("%(amount)s will be on your telecom invoice for %(category)s (job #%(job)s).")
        else:
            body = _("We charged your card %(amount)s for %(category)s (job #%(job)s).")
        return _("Payment of %(amount)s for %(category)s") % params, body % params

    _send(
        user=job.customer,
        kind=Kind.PAYMENT_CAPTURED,
        text=customer_text,
        url=_customer_job_url(job),
        job=job,
    )
    if job.assigned_helper_id and payout > 0:

        def helper_text():
            params = {
                "amount": _money(payout, payment.currency),
                "category": job.category.localized_name(),
                "job": job.pk,
            }
            return (
                _("Your payout: %(amount)s") % params,
                _("You earned %(amount)s for %(category)s (job #%(job)s).") % params,
            )

        _send(
            user=job.assigned_helper,
            kind=Kind.PAYMENT_CAPTURED,
            text=helper_text,
            url=_helper_job_url(job),
            job=job,
        )


def review_request(*, job) -> None:
    """After confirmation: rate the helper and answer the NPS question."""
    if not job.assigned_helper_id:
        return

    def text():
        params = {
            "helper": first_name(job.assigned_helper),
            "category": job.category.localized_name(),
        }
        return (
            _("How did it go with %(helper)s?") % params,
            _(
                "Please rate %(helper)s for %(category)s. And one question: how likely are "
                "you to recommend Fieldfriends to a friend or colleague, from 0 to 10?"
            )
            % params,
        )

    _send(
        user=job.customer,
        kind=Kind.REVIEW_REQUEST,
        text=text,
        url=_customer_job_url(job, "review-title"),
        job=job,
    )


def job_expired(*, job) -> None:
    """No helper accepted in time: the customer is offered the professional visit."""

    def text():
        params = {"category": job.category.localized_name()}
        if job.professional_install_free:
            offer = _("Your provider installs this for free with a professional technician.")
        else:
            offer = _("We can send a professional technician instead, for %(price)s.") % {
                "price": _money(job.professional_price, job.currency)
            }
        return (
            _("No helper found for %(category)s") % params,
            _("No helper was free in time for %(category)s.") % params + " " + offer,
        )

    _send(
        user=job.customer,
        kind=Kind.JOB_EXPIRED,
        text=text,
        url=_customer_job_url(job, "fallback-title"),
        job=job,
    )
