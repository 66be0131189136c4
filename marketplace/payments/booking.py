"""The seam between the marketplace and its money: the only payments module that jobs and
helpers import (docs/architecture.md). Jobs tells payments what happened to a job (`book` on
acceptance, `follow` after any change, `refund` when a dispute is decided for the customer)
and asks what it may do (`ready` before check-in, `payouts_required` before offering or
accepting). Everything behind it — providers, the ledger, provider calls and their retries —
is payments' own business, and so is the PAYMENTS_PROVIDER setting.

Payments answers back through jobs' and helpers' services (`jobs.services.job_event_record`,
`helpers.services.helper_payouts_ready_set`), never their internals.
"""

from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings

from marketplace.payments import services
from marketplace.payments.models import Payment, PaymentStatus


def card_payments() -> bool:
    """Customers pay by card through the provider (Stripe), rather than on their invoice."""
    return settings.PAYMENTS_PROVIDER == "stripe"


def payouts_required() -> bool:
    """Only helpers whose payout account is ready may be offered or take paid jobs: with card
    payments each helper is paid to their own provider account."""
    return card_payments()


def book(*, job, now: datetime | None = None) -> None:
    """A helper accepted `job`: open its payment at the quoted price (authorised at once when
    billed to the customer's account). Call inside the job's transaction."""
    services.payment_book(job=job, now=now)


def ready(*, job) -> bool:
    """May the helper start? Only once the money is authorised."""
    return services.payment_ready(job=job)


def follow(*, job, now: datetime | None = None) -> None:
    """Make the job's payment agree with the job (capture, fee or release). Call after the job's
    transaction has committed; the periodic reconciliation repeats it if this never runs."""
    services.payment_follow_job(job=job, now=now)


@dataclass(frozen=True)
class Captured:
    """A job's captured payment, locked until the end of the caller's transaction."""

    payment: Payment
    refundable: int


def captured_for_update(*, job) -> Captured | None:
    """The job's payment if money was captured, its row locked (call inside a transaction);
    None when nothing was taken yet, so there is nothing to refund."""
    payment = Payment.objects.select_for_update().filter(job=job).first()
    if payment is None or payment.status != PaymentStatus.CAPTURED:
        return None
    return Captured(payment=payment, refundable=payment.refundable)


def refund(*, captured: Captured, amount: int, actor, reason: str, now=None) -> None:
    """Give `amount` of a captured payment back (fee and payout in proportion). Call after the
    decision's transaction has committed. A provider call that is still pending is kept and
    retried with the same key by the reconciliation, so nothing is lost and nothing raised."""
    with suppress(services.PaymentPending):
        services.payment_refund(
            payment=captured.payment, amount=amount, actor=actor, reason=reason, now=now
        )
