"""Money: one Payment per booked job, the provider calls made for it (an outbox, written before
each call), a double-entry ledger, helpers' payout accounts, and received provider webhooks.

Every amount is an integer in minor units of the job's currency.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Provider(models.TextChoices):
    BILL_TO_ACCOUNT = "bill_to_account", _("Telecom invoice")
    STRIPE = "stripe", _("Card (Stripe)")


class PaymentStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for payment")
    REQUIRES_ACTION = "requires_action", _("Waiting for the bank's confirmation")
    AUTHORISED = "authorised", _("Authorised")
    CAPTURED = "captured", _("Paid")
    CANCELLED = "cancelled", _("Released")
    FAILED = "failed", _("Declined")


class Payment(models.Model):
    """The money side of one job. `amount` is authorised at booking (the helper accepted);
    captured on confirmation, released on free cancellation, partly captured for a fee."""

    job = models.OneToOneField("jobs.JobRequest", on_delete=models.PROTECT, related_name="payment")
    provider = models.CharField(max_length=16, choices=Provider.choices)
    status = models.CharField(
        max_length=16, choices=PaymentStatus.choices, default=PaymentStatus.PENDING
    )
    currency = models.CharField(max_length=3)
    amount = models.PositiveIntegerField(help_text="Authorised amount = the job's price")
    platform_fee = models.PositiveIntegerField(help_text="The job's platform fee")
    amount_captured = models.PositiveIntegerField(default=0)
    fee_captured = models.PositiveIntegerField(default=0)
    amount_refunded = models.PositiveIntegerField(default=0)
    fee_refunded = models.PositiveIntegerField(default=0)
    refund_reserved = models.PositiveIntegerField(
        default=0,
        help_text="Refunds sent to the provider and not yet answered: reserved under the "
        "payment's row lock so that concurrent refunds can never exceed what was captured",
    )
    provider_ref = models.CharField(max_length=64, blank=True, help_text="e.g. pi_… or INV-…")
    provider_customer = models.CharField(max_length=64, blank=True)
    payment_method = models.CharField(max_length=64, blank=True)
    client_secret = models.CharField(max_length=200, blank=True)
    attempt = models.PositiveSmallIntegerField(
        default=1, help_text="Authorisation attempt; part of every idempotency key"
    )
    failure_message = models.CharField(max_length=300, blank=True)
    authorised_at = models.DateTimeField(null=True, blank=True)
    capture_before = models.DateTimeField(null=True, blank=True)
    captured_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "capture_before"], name="payment_status_deadline"),
            models.Index(fields=["provider_ref"], name="payment_provider_ref"),
            # What changed since the economics rollup's last refresh (economics.rollup).
            models.Index(fields=["updated_at"], name="payment_updated"),
            # Economics: a period's captured and refunded money read from the index alone.
            models.Index(
                fields=[
                    "job",
                    "amount_captured",
                    "fee_captured",
                    "amount_refunded",
                    "fee_refunded",
                ],
                name="payment_job_totals",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(platform_fee__lte=F("amount")), name="payment_fee_within_amount"
            ),
            models.CheckConstraint(
                condition=Q(amount_captured__lte=F("amount"))
                & Q(fee_captured__lte=F("amount_captured"))
                & Q(amount_refunded__lte=F("amount_captured"))
                & Q(fee_refunded__lte=F("fee_captured")),
                name="payment_amounts_consistent",
            ),
            models.CheckConstraint(
                condition=Q(
                    amount_captured__gte=F("amount_refunded") + F("refund_reserved"),
                ),
                name="payment_refunds_within_capture",
            ),
        ]

    def __str__(self) -> str:
        return f"payment job={self.job_id} {self.status} {self.amount} {self.currency}"

    @property
    def refundable(self) -> int:
        """What may still be refunded: captured, less refunded, less refunds in flight."""
        return self.amount_captured - self.amount_refunded - self.refund_reserved


class CallStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed (final)")


class ProviderCall(models.Model):
    """The intent to call the payment provider, committed before the call is made. A call whose
    outcome is unknown (timeout, 5xx, crash) stays pending and is retried with the same
    idempotency key, so the provider does it at most once."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="calls")
    action = models.CharField(max_length=24)
    idempotency_key = models.CharField(max_length=128, unique=True)
    params = models.JSONField(default=dict)
    status = models.CharField(max_length=16, choices=CallStatus.choices, default="pending")
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    result = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["status", "created_at"], name="providercall_pending")]

    def __str__(self) -> str:
        return f"{self.action} {self.idempotency_key} ({self.status})"


class Account(models.TextChoices):
    """Ledger accounts. Double entry: every movement debits one and credits another."""

    CUSTOMER = "customer", _("Customer")
    HOLD = "hold", _("Authorised, not captured")
    PLATFORM = "platform", _("Platform revenue")
    HELPER = "helper", _("Helper payable")


class LedgerEntry(models.Model):
    """One leg of a money movement. The legs of a movement share `movement` and sum to zero, so
    the entries of a job always sum to zero (checked by `payments.selectors.unbalanced_jobs`)."""

    job = models.ForeignKey("jobs.JobRequest", on_delete=models.PROTECT, related_name="ledger")
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="ledger")
    movement = models.CharField(max_length=140, help_text="Unique name of the movement")
    kind = models.CharField(max_length=24)
    account = models.CharField(max_length=16, choices=Account.choices)
    amount = models.BigIntegerField(help_text="Positive: into the account; negative: out of it")
    currency = models.CharField(max_length=3)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["movement", "account"], name="ledger_one_leg_per_account"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.account} {self.amount} {self.currency}"


class PayoutAccount(models.Model):
    """A helper's account with the payment provider (Stripe Connect Express)."""

    helper = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="payout_account"
    )
    provider_account_id = models.CharField(max_length=64, unique=True)
    charges_enabled = models.BooleanField(default=False)
    payouts_enabled = models.BooleanField(default=False)
    details_submitted = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.provider_account_id} ({'ready' if self.is_ready else 'onboarding'})"

    @property
    def is_ready(self) -> bool:
        return self.charges_enabled and self.payouts_enabled


class WebhookEvent(models.Model):
    """A provider event, stored by its id: a replay finds the row and does nothing."""

    event_id = models.CharField(max_length=64, unique=True)
    type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64, blank=True)
    payload = models.JSONField()
    received_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"


class InvoiceLine(models.Model):
    """Bill-to-account: a line for the customer's telecom invoice, exported per billing period."""

    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="invoice_lines"
    )
    job = models.ForeignKey("jobs.JobRequest", on_delete=models.PROTECT, related_name="+")
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="invoice_lines")
    kind = models.CharField(max_length=16, help_text="charge, cancellation_fee or refund")
    amount = models.IntegerField(help_text="Negative for refunds")
    currency = models.CharField(max_length=3)
    period = models.CharField(max_length=7, db_index=True, help_text="Billing month, YYYY-MM")
    reference = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["period", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.period} {self.reference} {self.amount} {self.currency}"
