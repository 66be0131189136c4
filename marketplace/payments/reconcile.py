"""Reconciliation (DESIGN §6): the periodic work that brings payments in step with their jobs
and the provider. Run by `payments.tasks.reconcile_payments`.

Every item is handled in isolation: a call the provider or the ledger refuses for good is
failed with its reason (operators see it on the tasks page); an unexpected error is logged and
kept on the call, the loop goes on with the next item, and the step raises
`ReconciliationIncomplete` at the end so that the run shows as failed.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from marketplace.core.errors import DomainError, InvalidTransition, NotAllowed, NotFound
from marketplace.payments.models import CallStatus, Payment, PaymentStatus, ProviderCall
from marketplace.payments.services import (
    MAX_ATTEMPTS,
    RETRY_AFTER,
    payment_follow_job,
    payment_settle,
    pending_settlement,
    provider_call_persist,
    provider_call_run,
)

logger = logging.getLogger(__name__)


class ReconciliationIncomplete(Exception):
    """A periodic step met unexpected errors on some items; it went on with the others, then
    raises this so that the run shows as failed on the tasks page."""

    def __init__(self, step: str, errors: list[str] | None = None):
        errors = errors or []
        super().__init__(
            f"{step}: {len(errors)} failed ({'; '.join(errors[:3])})" if errors else step
        )
        self.errors = errors


def payments_follow_jobs(*, now=None) -> int:
    """Reconciliation: authorised payments whose job has moved on (confirmed, cancelled,
    released) are settled; run periodically by the worker. One payment's failure is logged
    and does not stop the others."""
    stale = Payment.objects.filter(
        status=PaymentStatus.AUTHORISED,
        job__status__in=["confirmed", "cancelled", "open", "offered"],
    ).select_related("job")[:200]
    errors: list[str] = []
    for payment in stale:
        _isolated(payment_follow_job, payment, errors, job=payment.job, now=now)
    if errors:
        raise ReconciliationIncomplete("payments following their jobs", errors)
    return len(stale)


def _isolated(fn, of: Payment, errors: list[str], /, **kwargs) -> None:
    """Run one payment's periodic step; a domain refusal is already recorded on its call, and
    anything else is logged and appended to `errors`, so that the loop goes on."""
    try:
        fn(**kwargs)
    except DomainError as exc:
        logger.warning("payment of job %s: %s", of.job_id, exc.message)
    except Exception as exc:
        logger.exception("payment of job %s could not be reconciled", of.job_id)
        errors.append(f"job {of.job_id}: {type(exc).__name__}: {exc}"[:300])


def provider_calls_retry_due(*, now=None) -> int:
    """Repeat calls whose outcome is unknown, with their original idempotency keys. Each call is
    retried on its own: a call refused for good is failed with its reason (operators see it on
    the tasks page) and an unexpected error is logged on the call; neither stops the others."""
    now = now or timezone.now()
    due = ProviderCall.objects.filter(
        status=CallStatus.PENDING, created_at__lte=now - RETRY_AFTER, attempts__lt=MAX_ATTEMPTS
    ).order_by("created_at")[:100]
    done, errors = 0, []
    for call in due:
        call = provider_call_retry(call=call, now=now, errors=errors)
        done += 1
    if errors:
        raise ReconciliationIncomplete("provider calls", errors)
    return done


def provider_call_retry(
    *, call: ProviderCall, now=None, errors: list | None = None
) -> ProviderCall:
    """Retry one pending call in isolation and return it as it is afterwards. An unexpected
    error is logged, kept on the call and appended to `errors`."""
    try:
        provider_call_run(call, now=now, raise_pending=False)
    except DomainError:
        pass  # a final refusal: recorded on the call as failed, with its reason
    except Exception as exc:  # a bug or a database fault must not stop the other calls
        logger.exception("provider call %s raised", call.idempotency_key)
        text = f"{type(exc).__name__}: {exc}"[:300]
        ProviderCall.objects.filter(pk=call.pk).update(last_error=text)
        if errors is not None:
            errors.append(f"{call.idempotency_key}: {text}")
    call.refresh_from_db()
    return call


def provider_call_retry_now(*, call_id: int, actor, now=None) -> ProviderCall:
    """An operator retries a pending call now, also one that ran out of automatic attempts."""
    if not actor.is_operator:
        raise NotAllowed("Only operators can retry payment calls")
    call = ProviderCall.objects.filter(pk=call_id).first()
    if call is None:
        raise NotFound("Payment call not found")
    if call.status != CallStatus.PENDING:
        raise InvalidTransition("This payment call has already finished")
    ProviderCall.objects.filter(pk=call.pk).update(attempts=0)
    return provider_call_retry(call=call, now=now)


def stuck_calls_settle(*, now=None, older_than: timedelta = RETRY_AFTER) -> list[ProviderCall]:
    """Settle or fail every call left pending longer than `older_than`, whatever its attempts
    (the repair for calls stuck before refunds were reserved: each is checked against the
    ledger, then sent, or failed with the ledger's reason). Returns the calls afterwards."""
    now = now or timezone.now()
    stuck = ProviderCall.objects.filter(
        status=CallStatus.PENDING, created_at__lte=now - older_than
    ).order_by("created_at", "id")
    settled = []
    for call in stuck:
        ProviderCall.objects.filter(pk=call.pk).update(attempts=0)
        settled.append(provider_call_retry(call=call, now=now))
    return settled


def authorisations_expiring(*, now=None) -> int:
    """Card authorisations lapse after ~7 days. Before that: capture what was completed (the
    customer had their chance to object), release the rest so a fresh authorisation can be
    taken when the job goes ahead."""
    now = now or timezone.now()
    horizon = now + timedelta(hours=settings.PAYMENT_REAUTHORISE_HOURS_BEFORE)
    due = Payment.objects.filter(
        status=PaymentStatus.AUTHORISED, capture_before__lte=horizon
    ).select_related("job")
    handled, errors = 0, []
    for payment in due:
        job = payment.job
        # A disputed job is captured too: a refund settles it if the customer wins; letting
        # the authorisation lapse could leave the helper unpaid if the helper wins.
        if job.status in ("completed", "confirmed", "disputed"):
            _isolated(
                payment_settle,
                payment,
                errors,
                job=job,
                capture=job.price,
                fee=job.platform_fee,
                now=now,
            )
        else:
            _isolated(_release_for_reauthorisation, payment, errors, payment=payment, now=now)
        handled += 1
    if errors:
        raise ReconciliationIncomplete("authorisations about to lapse", errors)
    return handled


def _release_for_reauthorisation(*, payment: Payment, now) -> None:
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if payment.status != PaymentStatus.AUTHORISED:
            return
        call = pending_settlement(payment) or provider_call_persist(
            payment, "reauthorise-release", {}
        )
    payment = provider_call_run(call, now=now, raise_pending=False)
    if payment.status == PaymentStatus.CANCELLED:
        # Open a new attempt: the customer is asked to authorise again (same card pre-filled).
        # The old attempt's ledger movements stay; the new one has its own names.
        with transaction.atomic():
            Payment.objects.filter(pk=payment.pk).update(
                status=PaymentStatus.PENDING,
                attempt=payment.attempt + 1,
                client_secret="",
                capture_before=None,
            )
