"""Payment providers behind one interface (DESIGN §6), chosen by settings.PAYMENTS_PROVIDER.

Each method performs one provider operation for a payment and returns an `Outcome` describing
the provider-side state afterwards; `services.py` turns outcomes into payment status and ledger
movements. Methods may raise gateway.Declined (final, nothing happened), gateway.Rejected (final,
refused) or gateway.Unavailable (unknown: retry with the same idempotency key).
"""

from dataclasses import dataclass

from django.conf import settings

from marketplace.payments import gateway
from marketplace.payments.models import Payment, PayoutAccount, Provider


@dataclass(frozen=True)
class Outcome:
    """Provider-side state of a payment after an operation (or when re-fetched)."""

    ref: str
    state: str  # "requires_action", "authorised", "captured", "cancelled", "failed"
    captured: int = 0  # total captured so far
    client_secret: str = ""
    message: str = ""


STRIPE_STATES = {
    "requires_capture": "authorised",
    "requires_action": "requires_action",
    "requires_confirmation": "requires_action",
    "processing": "requires_action",
    "succeeded": "captured",
    "canceled": "cancelled",
    "requires_payment_method": "failed",
}


def outcome_from_intent(intent: gateway.Intent) -> Outcome:
    return Outcome(
        ref=intent.id,
        state=STRIPE_STATES.get(intent.status, "failed"),
        captured=intent.amount_received,
        client_secret=intent.client_secret,
        message=intent.error_message,
    )


class BillToAccount:
    """The amount goes on the customer's telecom invoice (as Swisscom did): authorising always
    succeeds locally; capturing and refunding write invoice lines (see services)."""

    name = Provider.BILL_TO_ACCOUNT
    needs_customer_action = False

    def authorise(self, payment: Payment, *, key: str, payment_method: str = "", **_) -> Outcome:
        return Outcome(ref=f"INV-{payment.job_id}", state="authorised")

    def capture(self, payment: Payment, *, amount: int, fee: int, key: str) -> Outcome:
        return Outcome(ref=payment.provider_ref, state="captured", captured=amount)

    def cancel(self, payment: Payment, *, key: str) -> Outcome:
        return Outcome(ref=payment.provider_ref, state="cancelled")

    def refund(self, payment: Payment, *, amount: int, key: str) -> str:
        return f"REF-{key}"

    def fetch(self, payment: Payment) -> Outcome | None:
        return None  # nothing remote to re-fetch


class StripeProvider:
    """Destination charges on Stripe Connect: authorised with capture_method=manual, the
    platform fee as application_fee_amount, the rest transferred to the helper's account."""

    name = Provider.STRIPE
    needs_customer_action = True

    def authorise(
        self, payment: Payment, *, key: str, payment_method: str = "", return_url: str = ""
    ) -> Outcome:
        job = payment.job
        account = PayoutAccount.objects.filter(helper_id=job.assigned_helper_id).first()
        if account is None or not account.is_ready:
            raise gateway.Rejected(
                "The helper cannot receive card payments yet", "helper_not_ready"
            )
        if not payment.provider_customer:
            payment.provider_customer = gateway.create_customer(
                email=job.customer.email,
                name=job.customer.display_name,
                key=f"user-{job.customer_id}-customer",
            )
            payment.save(update_fields=["provider_customer"])
        intent = gateway.authorise(
            amount=payment.amount,
            currency=payment.currency,
            application_fee=payment.platform_fee,
            destination=account.provider_account_id,
            customer=payment.provider_customer,
            payment_method=payment_method,
            metadata={"job_id": str(job.pk), "payment_id": str(payment.pk)},
            return_url=return_url or settings.SITE_URL,
            key=key,
        )
        return outcome_from_intent(intent)

    def capture(self, payment: Payment, *, amount: int, fee: int, key: str) -> Outcome:
        return outcome_from_intent(
            gateway.capture(
                intent_id=payment.provider_ref, amount=amount, application_fee=fee, key=key
            )
        )

    def cancel(self, payment: Payment, *, key: str) -> Outcome:
        return outcome_from_intent(gateway.cancel(intent_id=payment.provider_ref, key=key))

    def refund(self, payment: Payment, *, amount: int, key: str) -> str:
        return gateway.refund(
            intent_id=payment.provider_ref,
            amount=amount,
            key=key,
            metadata={"job_id": str(payment.job_id)},
        )

    def fetch(self, payment: Payment) -> Outcome | None:
        if not payment.provider_ref:
            return None
        return outcome_from_intent(gateway.retrieve_intent(payment.provider_ref))


PROVIDERS = {Provider.BILL_TO_ACCOUNT: BillToAccount(), Provider.STRIPE: StripeProvider()}


def current() -> BillToAccount | StripeProvider:
    return PROVIDERS[settings.PAYMENTS_PROVIDER]


def for_payment(payment: Payment) -> BillToAccount | StripeProvider:
    return PROVIDERS[payment.provider]
