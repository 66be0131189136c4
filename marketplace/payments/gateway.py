"""The only module that imports `stripe`: one StripeClient, one function per call the app makes,
and three error classes the rest of the code understands.

Every POST carries the idempotency key the caller derived from the job and the action. Stripe
objects (stripe >= 15) are read by attribute only.
"""

from dataclasses import dataclass
from functools import cache

import stripe
from django.conf import settings


class GatewayError(Exception):
    """Base class. `message` is safe to show; no card data or keys in it."""

    def __init__(self, message: str, code: str = ""):
        super().__init__(message)
        self.message = message
        self.code = code


class Declined(GatewayError):
    """The card or the request was refused: final, nothing happened."""


class Rejected(GatewayError):
    """Stripe refused the request (invalid, idempotency mismatch): final, a bug or bad data."""


class Unavailable(GatewayError):
    """Timeout, network error or 5xx: the outcome is unknown; retry with the same key."""


@dataclass(frozen=True)
class Intent:
    id: str
    status: str
    amount: int
    amount_capturable: int
    amount_received: int
    currency: str
    client_secret: str
    latest_charge: str
    error_message: str
    metadata: dict


@dataclass(frozen=True)
class ConnectAccount:
    id: str
    charges_enabled: bool
    payouts_enabled: bool
    details_submitted: bool


@cache
def _client(api_key: str, api_base: str, timeout: float, retries: int) -> stripe.StripeClient:
    base = {"api": api_base, "connect": api_base, "files": api_base} if api_base else None
    return stripe.StripeClient(
        api_key,
        base_addresses=base,
        max_network_retries=retries,
        http_client=stripe.RequestsClient(timeout=timeout),
    )


def client() -> stripe.StripeClient:
    return _client(
        settings.STRIPE_SECRET_KEY,
        settings.STRIPE_API_BASE,
        settings.STRIPE_TIMEOUT_SECONDS,
        settings.STRIPE_MAX_NETWORK_RETRIES,
    )


def _call(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except stripe.CardError as exc:
        err = exc.error
        code = (
            (getattr(err, "decline_code", None) or getattr(err, "code", None) or "") if err else ""
        )
        raise Declined(exc.user_message or "The card was declined", code) from None
    except (stripe.APIConnectionError, stripe.RateLimitError) as exc:
        raise Unavailable(f"Payment provider unreachable: {type(exc).__name__}") from None
    except stripe.APIError as exc:
        raise Unavailable(f"Payment provider error (HTTP {exc.http_status})") from None
    except stripe.IdempotencyError as exc:
        raise Rejected(f"Idempotency conflict: {exc.user_message}", "idempotency_error") from None
    except stripe.StripeError as exc:
        code = getattr(exc, "code", "") or ""
        raise Rejected(
            exc.user_message or "The payment provider refused the request", code
        ) from None


def _options(key: str | None) -> dict:
    return {"idempotency_key": key} if key else {}


def _intent(pi) -> Intent:
    error = getattr(pi, "last_payment_error", None)
    charge = getattr(pi, "latest_charge", None)
    metadata = getattr(pi, "metadata", None)
    return Intent(
        id=pi.id,
        status=pi.status,
        amount=pi.amount,
        amount_capturable=getattr(pi, "amount_capturable", 0) or 0,
        amount_received=getattr(pi, "amount_received", 0) or 0,
        currency=pi.currency,
        client_secret=getattr(pi, "client_secret", "") or "",
        latest_charge=(charge if isinstance(charge, str) else getattr(charge, "id", "")) or "",
        error_message=(getattr(error, "message", "") or "") if error else "",
        metadata=dict(metadata.to_dict()) if metadata is not None else {},
    )


def _account(acct) -> ConnectAccount:
    return ConnectAccount(
        id=acct.id,
        charges_enabled=bool(acct.charges_enabled),
        payouts_enabled=bool(acct.payouts_enabled),
        details_submitted=bool(acct.details_submitted),
    )


# --- Customers and payment intents -----------------------------------------------------------


def create_customer(*, email: str, name: str, key: str) -> str:
    customer = _call(
        client().v1.customers.create,
        params={"email": email, "name": name},
        options=_options(key),
    )
    return customer.id


def authorise(
    *,
    amount: int,
    currency: str,
    application_fee: int,
    destination: str,
    customer: str,
    payment_method: str,
    metadata: dict,
    return_url: str,
    key: str,
) -> Intent:
    """A destination charge, authorised now and captured later (capture_method=manual)."""
    params = {
        "amount": amount,
        "currency": currency.lower(),
        "capture_method": "manual",
        "confirm": True,
        "customer": customer,
        "payment_method": payment_method,
        "application_fee_amount": application_fee,
        "transfer_data": {"destination": destination},
        "metadata": metadata,
        "return_url": return_url,
        "payment_method_types": ["card"],
    }
    return _intent(_call(client().v1.payment_intents.create, params=params, options=_options(key)))


def retrieve_intent(intent_id: str) -> Intent:
    return _intent(_call(client().v1.payment_intents.retrieve, intent_id))


def capture(*, intent_id: str, amount: int, application_fee: int, key: str) -> Intent:
    params = {"amount_to_capture": amount, "application_fee_amount": application_fee}
    return _intent(
        _call(client().v1.payment_intents.capture, intent_id, params=params, options=_options(key))
    )


def cancel(*, intent_id: str, key: str) -> Intent:
    return _intent(
        _call(
            client().v1.payment_intents.cancel,
            intent_id,
            params={"cancellation_reason": "requested_by_customer"},
            options=_options(key),
        )
    )


def refund(*, intent_id: str, amount: int, key: str, metadata: dict) -> str:
    """Refund `amount`, taking it back from the helper (reverse_transfer) and refunding the
    platform fee proportionally (refund_application_fee)."""
    result = _call(
        client().v1.refunds.create,
        params={
            "payment_intent": intent_id,
            "amount": amount,
            "reverse_transfer": True,
            "refund_application_fee": True,
            "metadata": metadata,
        },
        options=_options(key),
    )
    return result.id


# --- Connect ---------------------------------------------------------------------------------


def create_account(*, email: str, country: str, key: str) -> ConnectAccount:
    acct = _call(
        client().v1.accounts.create,
        params={
            "type": "express",
            "country": country,
            "email": email,
            "capabilities": {
                "card_payments": {"requested": True},
                "transfers": {"requested": True},
            },
        },
        options=_options(key),
    )
    return _account(acct)


def retrieve_account(account_id: str) -> ConnectAccount:
    return _account(_call(client().v1.accounts.retrieve, account_id))


def onboarding_link(*, account_id: str, refresh_url: str, return_url: str, key: str) -> str:
    link = _call(
        client().v1.account_links.create,
        params={
            "account": account_id,
            "refresh_url": refresh_url,
            "return_url": return_url,
            "type": "account_onboarding",
        },
        options=_options(key),
    )
    return link.url


# --- Webhooks --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Event:
    id: str
    type: str
    object_id: str
    object_type: str
    payload: dict


def verify_event(*, payload: bytes, signature: str) -> Event:
    """Check the signature on the raw body; raise Rejected when it does not verify."""
    try:
        event = stripe.Webhook.construct_event(
            payload.decode("utf-8"), signature, settings.STRIPE_WEBHOOK_SECRET
        )
    except (ValueError, stripe.SignatureVerificationError):
        raise Rejected("Invalid webhook signature or payload", "bad_signature") from None
    obj = event.data.object
    return Event(
        id=event.id,
        type=event.type,
        object_id=getattr(obj, "id", "") or "",
        object_type=getattr(obj, "object", "") or "",
        payload=event.to_dict(),
    )
