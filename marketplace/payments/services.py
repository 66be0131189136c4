"""Payment rules (DESIGN §6). Every provider call follows the same three steps:

1. in a short transaction, lock the payment, decide, and persist a `ProviderCall` with an
   idempotency key derived from the job and the action (`job-<id>-<action>-<n>`);
2. with no transaction open and no lock held, call the provider;
3. in a second transaction, apply the outcome: payment status and ledger movements, both
   idempotent, so the webhook for the same change (before or after) does nothing twice.

A timeout or 5xx leaves the call pending: `reconcile.provider_calls_retry_due` repeats it with
the same key (the provider does it at most once) until it has an answer. Job state never waits
on the provider: jobs move first; payments follow and are reconciled.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from marketplace.core.errors import (
    InvalidTransition,
    NotAllowed,
    ValidationFailed,
)
from marketplace.core.money import share_half_up
from marketplace.jobs.models import JobRequest
from marketplace.notifications import messages as notify
from marketplace.payments import gateway, ledger, providers, selectors
from marketplace.payments.models import (
    Account,
    CallStatus,
    InvoiceLine,
    Payment,
    PaymentStatus,
    ProviderCall,
)

FINAL = (PaymentStatus.CAPTURED, PaymentStatus.CANCELLED)
RETRY_AFTER = timedelta(seconds=selectors.RETRY_AFTER_SECONDS)
MAX_ATTEMPTS = 20

logger = logging.getLogger(__name__)


class PaymentPending(InvalidTransition):
    """The provider did not answer; the call is kept and retried. HTTP 409 with a clear text."""


class LedgerRefused(ValidationFailed):
    """The ledger cannot take this movement (say, more refunded than was captured). Checked
    before a call is sent; a provider call refused this way is failed with the reason."""

    code = "ledger_refused"


def _key(payment: Payment, action: str) -> str:
    return f"job-{payment.job_id}-{action}-{payment.attempt}"


# --- Booking ---------------------------------------------------------------------------------


def payment_book(*, job: JobRequest, now: datetime | None = None) -> Payment:
    """A helper accepted: the job is booked and its payment opened at the quoted price. With the
    bill-to-account provider it is authorised at once (no customer action, no remote call).
    After a release and a new acceptance, a fresh attempt is opened (new helper, new key)."""
    now = now or timezone.now()
    provider = providers.current()
    payment, created = Payment.objects.select_for_update().get_or_create(
        job=job,
        defaults={
            "provider": provider.name,
            "currency": job.currency,
            "amount": job.price,
            "platform_fee": job.platform_fee,
            "created_at": now,
        },
    )
    if not created:
        if payment.status not in (PaymentStatus.CANCELLED, PaymentStatus.FAILED):
            return payment
        payment.status = PaymentStatus.PENDING
        payment.attempt += 1
        payment.client_secret = ""
        payment.failure_message = ""
        payment.save()
    if not provider.needs_customer_action:
        outcome = provider.authorise(payment, key=_key(payment, "authorise"))
        _apply(payment, outcome, now=now)
    return payment


def payment_for_job(job: JobRequest) -> Payment | None:
    return Payment.objects.filter(job=job).first()


def payment_ready(*, job: JobRequest) -> bool:
    """May the helper start? Only once the money is authorised (jobs booked before payments
    existed have no payment row and are let through)."""
    payment = payment_for_job(job)
    return payment is None or payment.status in (PaymentStatus.AUTHORISED, PaymentStatus.CAPTURED)


# --- Customer pays (card) --------------------------------------------------------------------


def payment_pay(
    *, job: JobRequest, customer, payment_method: str, return_url: str = "", now=None
) -> Payment:
    """The customer authorises the card payment. Safe to click twice: one intent per attempt."""
    if job.customer_id != customer.pk:
        raise NotAllowed("Only the customer can pay for this job")
    if not payment_method or len(payment_method) > 64:
        raise ValidationFailed("Choose a card to pay with")
    with transaction.atomic():
        payment = Payment.objects.select_for_update().filter(job=job).first()
        if payment is None:
            raise InvalidTransition("There is nothing to pay yet: no helper has accepted the job")
        if payment.status in (PaymentStatus.AUTHORISED, PaymentStatus.CAPTURED):
            return payment  # the second click of a double click
        if payment.status == PaymentStatus.CANCELLED:
            raise InvalidTransition("This job was cancelled; there is nothing to pay")
        if payment.status == PaymentStatus.FAILED:
            payment.attempt += 1
            payment.status = PaymentStatus.PENDING
            payment.failure_message = ""
        payment.payment_method = payment_method
        payment.save()
        call = provider_call_persist(
            payment, "authorise", {"payment_method": payment_method, "amount": payment.amount}
        )
    return provider_call_run(call, return_url=return_url, now=now)


# --- Capture, cancel, fee, refund ------------------------------------------------------------


def payment_follow_job(*, job: JobRequest, now=None) -> Payment | None:
    """Make the payment agree with the job, which is the source of truth:

    * confirmed (by the customer or automatically) → capture it all;
    * cancelled → release the authorisation, or capture only the cancellation fee (the platform
      keeps the same share of it as of the price, the helper the rest);
    * back to matching (the helper released it) → release, a new attempt follows acceptance.

    Called right after the job's transaction commits and again by the periodic reconciliation,
    so a crash in between only delays it. Never called with a transaction open."""
    job.refresh_from_db(fields=["status", "cancellation_fee", "price", "platform_fee"])
    if job.status == "confirmed":
        return payment_settle(job=job, capture=job.price, fee=job.platform_fee, now=now)
    if job.status == "cancelled":
        fee = job.cancellation_fee
        fee_share = share_half_up(fee, job.platform_fee, job.price) if job.price else 0
        return payment_settle(job=job, capture=fee, fee=fee_share, now=now)
    if job.status in ("open", "offered"):
        return payment_settle(job=job, capture=0, fee=0, now=now)
    return payment_for_job(job)


def payment_settle(*, job: JobRequest, capture: int, fee: int, now=None) -> Payment | None:
    with transaction.atomic():
        payment = Payment.objects.select_for_update().filter(job=job).first()
        if payment is None or payment.status in FINAL:
            return payment
        if payment.status != PaymentStatus.AUTHORISED:
            # Never authorised (pending, declined, waiting for 3-D Secure): nothing to take.
            payment.status = PaymentStatus.CANCELLED
            payment.save(update_fields=["status", "updated_at"])
            return payment
        call = pending_settlement(payment)
        if call is None and capture > 0:
            capture = min(capture, payment.amount)
            call = provider_call_persist(
                payment, "capture", {"amount": capture, "fee": min(fee, capture)}
            )
        elif call is None:
            call = provider_call_persist(payment, "cancel", {})
    return provider_call_run(call, now=now, raise_pending=False)


SETTLEMENTS = ("capture", "cancel", "reauthorise-release")


def pending_settlement(payment: Payment) -> ProviderCall | None:
    """A capture or release already sent for this attempt and not yet answered: it is retried
    rather than joined by a second, different one (never capture and release the same hold)."""
    return (
        payment.calls.filter(
            status=CallStatus.PENDING,
            idempotency_key__in=[_key(payment, action) for action in SETTLEMENTS],
        )
        .order_by("created_at", "id")
        .first()
    )


def payment_refund(*, payment: Payment, amount: int, actor, reason: str, now=None) -> Payment:
    """An operator refunds a captured payment in full or in part (disputes). The helper's share
    is taken back (reverse transfer) and the platform fee refunded in proportion.

    The amount is checked and reserved under the payment's row lock, in the same transaction
    that writes the provider call: of concurrent refunds only those that fit what is left are
    ever sent to the provider; the others answer 409 (another refund is still being processed)
    or 422 (more than is left), and leave nothing behind."""
    if not actor.is_operator:
        raise NotAllowed("Only operators can refund")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("Give a reason for the refund")
    if not isinstance(amount, int) or isinstance(amount, bool):
        raise ValidationFailed("The refund amount must be a whole number of minor units")
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if payment.status != PaymentStatus.CAPTURED:
            raise InvalidTransition("Only a captured payment can be refunded")
        _check_refund_fits(payment, amount)
        payment.refund_reserved += amount
        payment.save(update_fields=["refund_reserved", "updated_at"])
        number = payment.calls.filter(action="refund").count() + 1
        call = ProviderCall.objects.create(
            payment=payment,
            action="refund",
            idempotency_key=f"job-{payment.job_id}-refund-{number}",
            params={"amount": amount, "reason": reason[:200], "by": actor.pk, "reserved": True},
        )
    return provider_call_run(call, now=now)


def _check_refund_fits(payment: Payment, amount: int) -> None:
    """Refuse a refund the ledger could not take. Call with the payment locked."""
    left = payment.refundable
    if 0 < amount <= left:
        return
    if payment.refund_reserved and 0 < amount <= left + payment.refund_reserved:
        raise InvalidTransition(
            f"Another refund of {payment.refund_reserved} is still being processed; "
            f"{left} is left to refund",
            code="refund_in_progress",
        )
    raise ValidationFailed(f"The refund must be between 1 and {left} (what is left to refund)")


# --- The three steps -------------------------------------------------------------------------


def provider_call_persist(payment: Payment, action: str, params: dict) -> ProviderCall:
    call, created = ProviderCall.objects.get_or_create(
        idempotency_key=_key(payment, action),
        defaults={"payment": payment, "action": action, "params": params},
    )
    if not created and call.params != params:
        # Same action and attempt, different content (e.g. the price changed): never reuse the
        # key — Stripe would refuse it — and never charge twice. Operators must look.
        raise InvalidTransition("A different payment for this job is already in progress")
    return call


def provider_call_run(
    call: ProviderCall, *, return_url: str = "", now=None, raise_pending=True
) -> Payment:
    now = now or timezone.now()
    payment = Payment.objects.select_related("job__customer").get(pk=call.payment_id)
    if call.status != CallStatus.PENDING:
        return payment
    if call.action == "refund" and not call.params.get("reserved"):
        call = _reserve_legacy_refund(call, now=now)  # raises LedgerRefused if it cannot fit
    provider = providers.for_payment(payment)
    ProviderCall.objects.filter(pk=call.pk).update(attempts=F("attempts") + 1)
    try:
        result = _perform(provider, payment, call, return_url=return_url)
    except gateway.Unavailable as exc:
        ProviderCall.objects.filter(pk=call.pk).update(last_error=exc.message[:300])
        if raise_pending:
            raise PaymentPending(
                "The payment provider did not answer in time; we will retry automatically. "
                "You will not be charged twice."
            ) from None
        return payment
    except (gateway.Declined, gateway.Rejected) as exc:
        _fail_call(call, reason=exc.message, now=now)
        payment.refresh_from_db()
        if call.action == "authorise" and isinstance(exc, gateway.Declined):
            return payment
        raise ValidationFailed(exc.message, code=exc.code or "payment_rejected") from None
    try:
        with transaction.atomic():
            payment = Payment.objects.select_for_update().get(pk=payment.pk)
            if not ProviderCall.objects.filter(pk=call.pk, status=CallStatus.PENDING).update(
                status=CallStatus.SUCCEEDED, result=result[1], done_at=now, last_error=""
            ):
                return payment  # a concurrent run of the same call applied the outcome first
            if call.action == "refund":
                _apply_refund(payment, call=call, ref=result[1]["ref"], now=now)
            else:
                _apply(payment, result[0], now=now, fee=call.params.get("fee"))
    except LedgerRefused as exc:
        # Checked before the call, so this means the provider and the ledger disagree: the call
        # is failed with both sides named, for an operator to settle (tasks page).
        logger.error("ledger refused the outcome of %s: %s", call.idempotency_key, exc.message)
        _fail_call(call, reason=f"The provider answered but the ledger refused: {exc.message}")
        raise
    return payment


def _fail_call(call: ProviderCall, *, reason: str, now=None) -> None:
    """A final failure: the call is failed with its reason, its refund reservation (if any) is
    given back, and a failed authorisation fails the payment."""
    now = now or timezone.now()
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=call.payment_id)
        if not ProviderCall.objects.filter(pk=call.pk, status=CallStatus.PENDING).update(
            status=CallStatus.FAILED, last_error=reason[:300], done_at=now
        ):
            return
        changed = []
        if call.action == "refund" and call.params.get("reserved"):
            payment.refund_reserved = max(0, payment.refund_reserved - call.params["amount"])
            changed.append("refund_reserved")
        if call.action == "authorise":
            payment.status = PaymentStatus.FAILED
            payment.failure_message = reason[:300]
            changed += ["status", "failure_message"]
        if changed:
            payment.save(update_fields=[*changed, "updated_at"])


def _reserve_legacy_refund(call: ProviderCall, *, now) -> ProviderCall:
    """A refund call written before refunds were reserved (or by hand): reserve its amount now,
    under the payment's lock, or fail it with the ledger's reason before it reaches the
    provider."""
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=call.payment_id)
        call = ProviderCall.objects.get(pk=call.pk)
        if call.status != CallStatus.PENDING or call.params.get("reserved"):
            return call
        amount = call.params.get("amount")
        reason = None
        if payment.status != PaymentStatus.CAPTURED:
            reason = "Only a captured payment can be refunded"
        elif not isinstance(amount, int) or not 0 < amount <= payment.refundable:
            reason = f"The refund of {amount} exceeds what is left to refund ({payment.refundable})"
        if reason is None:
            payment.refund_reserved += amount
            payment.save(update_fields=["refund_reserved", "updated_at"])
            call.params = {**call.params, "reserved": True}
            call.save(update_fields=["params"])
            return call
        ProviderCall.objects.filter(pk=call.pk).update(
            status=CallStatus.FAILED,
            last_error=f"Refused by the ledger: {reason}"[:300],
            done_at=now,
        )
    raise LedgerRefused(reason)


def _perform(provider, payment: Payment, call: ProviderCall, *, return_url: str):
    key = call.idempotency_key
    if call.action == "authorise":
        outcome = provider.authorise(
            payment, key=key, payment_method=call.params["payment_method"], return_url=return_url
        )
    elif call.action == "capture":
        outcome = provider.capture(
            payment, amount=call.params["amount"], fee=call.params["fee"], key=key
        )
    elif call.action in ("cancel", "reauthorise-release"):
        outcome = provider.cancel(payment, key=key)
    elif call.action == "refund":
        ref = provider.refund(payment, amount=call.params["amount"], key=key)
        return None, {"ref": ref}
    else:
        raise ValueError(f"unknown provider action {call.action}")
    return outcome, {"ref": outcome.ref, "state": outcome.state, "captured": outcome.captured}


# --- Applying provider state (also used by webhooks) -------------------------------------------


def _apply(payment: Payment, outcome: providers.Outcome, *, now, fee: int | None = None) -> None:
    """Bring the payment and the ledger to the provider's state. Idempotent and monotonic:
    replays and out-of-order notifications never move a payment backwards."""
    changed = []
    if outcome.ref and payment.provider_ref != outcome.ref:
        payment.provider_ref = outcome.ref
        changed.append("provider_ref")
    state = outcome.state
    if state == "requires_action" and payment.status == PaymentStatus.PENDING:
        payment.status = PaymentStatus.REQUIRES_ACTION
        payment.client_secret = outcome.client_secret
        changed += ["status", "client_secret"]
    if state in ("authorised", "captured") and payment.status in (
        PaymentStatus.PENDING,
        PaymentStatus.REQUIRES_ACTION,
        PaymentStatus.FAILED,
    ):
        payment.status = PaymentStatus.AUTHORISED
        payment.authorised_at = now
        payment.capture_before = now + timedelta(days=settings.PAYMENT_AUTHORISATION_DAYS)
        payment.failure_message = ""
        changed += ["status", "authorised_at", "capture_before", "failure_message"]
        ledger.record(
            payment=payment,
            movement=f"authorised-{payment.attempt}",
            kind="authorised",
            source=Account.CUSTOMER,
            target=Account.HOLD,
            amount=payment.amount,
            now=now,
        )
    if state == "captured" and payment.status == PaymentStatus.AUTHORISED:
        captured = min(outcome.captured, payment.amount)
        if fee is None:  # learnt from a webhook: the fee in proportion, half up
            fee = (
                payment.platform_fee
                if captured == payment.amount
                else share_half_up(captured, payment.platform_fee, payment.amount)
            )
        _record_capture(payment, captured=captured, fee=fee, now=now)
        changed += ["status", "amount_captured", "fee_captured", "captured_at"]
    if state == "cancelled" and payment.status == PaymentStatus.AUTHORISED:
        ledger.record(
            payment=payment,
            movement=f"released-{payment.attempt}",
            kind="released",
            source=Account.HOLD,
            target=Account.CUSTOMER,
            amount=payment.amount,
            now=now,
        )
        payment.status = PaymentStatus.CANCELLED
        changed.append("status")
    if state == "cancelled" and payment.status in (
        PaymentStatus.PENDING,
        PaymentStatus.REQUIRES_ACTION,
    ):
        payment.status = PaymentStatus.CANCELLED
        changed.append("status")
    if state == "failed" and payment.status in (
        PaymentStatus.PENDING,
        PaymentStatus.REQUIRES_ACTION,
    ):
        payment.status = PaymentStatus.FAILED
        payment.failure_message = (outcome.message or "The payment failed")[:300]
        changed += ["status", "failure_message"]
    if changed:
        payment.save(update_fields=[*dict.fromkeys(changed), "updated_at"])


def _record_capture(payment: Payment, *, captured: int, fee: int, now) -> None:
    fee = min(fee, captured)
    for movement, target, amount in (
        ("captured_fee", Account.PLATFORM, fee),
        ("captured_payout", Account.HELPER, captured - fee),
        ("released", Account.CUSTOMER, payment.amount - captured),
    ):
        ledger.record(
            payment=payment,
            movement=f"{movement}-{payment.attempt}",
            kind=movement,
            source=Account.HOLD,
            target=target,
            amount=amount,
            now=now,
        )
    payment.status = PaymentStatus.CAPTURED
    payment.amount_captured = captured
    payment.fee_captured = fee
    payment.captured_at = now
    notify.payment_captured(
        payment=payment,
        captured=captured,
        fee=fee,
        on_invoice=payment.provider == providers.Provider.BILL_TO_ACCOUNT,
    )
    if payment.provider == providers.Provider.BILL_TO_ACCOUNT and captured:
        job = payment.job
        InvoiceLine.objects.get_or_create(
            reference=f"FF-{payment.job_id}-charge",
            defaults={
                "customer_id": job.customer_id,
                "job": job,
                "payment": payment,
                "kind": "charge" if captured == payment.amount else "cancellation_fee",
                "amount": captured,
                "currency": payment.currency,
                "period": timezone.localtime(now).strftime("%Y-%m"),
                "created_at": now,
            },
        )


def refunded_fee_total(*, captured: int, fee: int, refunded: int) -> int:
    """The platform fee given back once `refunded` of `captured` has been refunded: the same
    share as of the capture, rounded half up, computed on the cumulative total so a series of
    partial refunds never drifts and a full refund gives back exactly the whole fee."""
    if not 0 <= refunded <= captured or not 0 <= fee <= captured:
        raise ValueError("refunds stay within the captured amount")
    return share_half_up(refunded, fee, captured) if captured else 0


def _apply_refund(payment: Payment, *, call: ProviderCall, ref: str, now) -> None:
    """Record a refund: the platform gives back its share of the fee in proportion, the helper
    the rest (reverse transfer). Cumulative shares avoid rounding drift over partial refunds.
    The call's reservation becomes the refunded amount."""
    amount = call.params["amount"]
    total_after = payment.amount_refunded + amount
    if not 0 < amount <= payment.amount_captured - payment.amount_refunded:
        raise LedgerRefused(
            f"A refund of {amount} exceeds what is left to refund "
            f"({payment.amount_captured - payment.amount_refunded})"
        )
    fee_after = refunded_fee_total(
        captured=payment.amount_captured, fee=payment.fee_captured, refunded=total_after
    )
    fee_part = fee_after - payment.fee_refunded
    for movement, source, value in (
        ("refund_fee", Account.PLATFORM, fee_part),
        ("refund_payout", Account.HELPER, amount - fee_part),
    ):
        ledger.record(
            payment=payment,
            movement=f"{movement}-{ref}",
            kind=movement,
            source=source,
            target=Account.CUSTOMER,
            amount=value,
            now=now,
        )
    payment.amount_refunded = total_after
    payment.fee_refunded = fee_after
    if call.params.get("reserved"):
        payment.refund_reserved = max(0, payment.refund_reserved - amount)
    payment.save(update_fields=["amount_refunded", "fee_refunded", "refund_reserved", "updated_at"])
    if payment.provider == providers.Provider.BILL_TO_ACCOUNT:
        InvoiceLine.objects.get_or_create(
            reference=f"FF-{payment.job_id}-refund-{ref}",
            defaults={
                "customer_id": payment.job.customer_id,
                "job_id": payment.job_id,
                "payment": payment,
                "kind": "refund",
                "amount": -amount,
                "currency": payment.currency,
                "period": timezone.localtime(now).strftime("%Y-%m"),
                "created_at": now,
            },
        )


def payment_sync(*, payment: Payment, now=None) -> Payment:
    """Re-fetch the provider's state and apply it (webhooks, reconciliation)."""
    outcome = providers.for_payment(payment).fetch(payment)
    if outcome is None:
        return payment
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        _apply(payment, outcome, now=now or timezone.now())
    return payment
