"""Stripe webhooks (DESIGN §6): signature checked on the raw body, each event stored by id so a
replay does nothing, and the object re-fetched before acting, so the order in which events
arrive does not matter — the provider's current state is applied, monotonically."""

import logging

from django.db import IntegrityError, transaction
from django.utils import timezone

from marketplace.helpers.services import helper_payouts_ready_set
from marketplace.jobs.models import JobRequest
from marketplace.jobs.services import job_event_record
from marketplace.payments import gateway
from marketplace.payments.models import Payment, PayoutAccount, WebhookEvent
from marketplace.payments.services import payment_sync

log = logging.getLogger(__name__)

HANDLED = {
    "payment_intent.amount_capturable_updated",
    "payment_intent.succeeded",
    "payment_intent.payment_failed",
    "payment_intent.canceled",
    "charge.refunded",
    "charge.dispute.created",
    "account.updated",
}


def receive(*, payload: bytes, signature: str) -> tuple[WebhookEvent, bool]:
    """Verify and store; returns (event, is_new). Raises gateway.Rejected on a bad signature."""
    event = gateway.verify_event(payload=payload, signature=signature)
    try:
        with transaction.atomic():
            stored = WebhookEvent.objects.create(
                event_id=event.id,
                type=event.type,
                object_id=event.object_id,
                payload=event.payload,
            )
    except IntegrityError:
        return WebhookEvent.objects.get(event_id=event.id), False
    return stored, True


def process(stored: WebhookEvent) -> None:
    """Act on a stored event. Errors are recorded on the row (the provider retries delivery,
    and a replayed event is processed again only if it never succeeded)."""
    if stored.processed_at is not None:
        return
    try:
        _dispatch(stored)
    except gateway.GatewayError as exc:
        WebhookEvent.objects.filter(pk=stored.pk).update(error=exc.message[:300])
        raise
    WebhookEvent.objects.filter(pk=stored.pk).update(processed_at=timezone.now(), error="")


def _dispatch(stored: WebhookEvent) -> None:
    obj = stored.payload.get("data", {}).get("object", {})
    kind = stored.type
    if kind.startswith("payment_intent."):
        payment = Payment.objects.filter(provider_ref=stored.object_id).first()
        if payment is not None:
            payment_sync(payment=payment)
    elif kind == "charge.refunded":
        # Our own refunds are recorded when made; the re-fetched intent keeps statuses in step.
        payment = Payment.objects.filter(provider_ref=obj.get("payment_intent", "")).first()
        if payment is not None:
            payment_sync(payment=payment)
    elif kind == "charge.dispute.created":
        payment = Payment.objects.filter(provider_ref=obj.get("payment_intent", "")).first()
        if payment is not None:
            with transaction.atomic():
                job = JobRequest.objects.get(pk=payment.job_id)
                job_event_record(
                    job=job,
                    kind="payment_disputed",
                    data={"amount": obj.get("amount"), "reason": obj.get("reason", "")},
                )
    elif kind == "account.updated":
        account = PayoutAccount.objects.filter(provider_account_id=stored.object_id).first()
        if account is not None:
            refresh_account(account)
    else:
        log.info("webhook %s ignored", kind)


def refresh_account(account: PayoutAccount) -> PayoutAccount:
    """Re-fetch a helper's Connect account and mirror whether they can be paid."""
    remote = gateway.retrieve_account(account.provider_account_id)
    account.charges_enabled = remote.charges_enabled
    account.payouts_enabled = remote.payouts_enabled
    account.details_submitted = remote.details_submitted
    account.save()
    helper_payouts_ready_set(user_id=account.helper_id, ready=account.is_ready)
    return account
