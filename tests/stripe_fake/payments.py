"""PaymentIntents, charges, refunds and disputes, including destination-charge money movement."""

from typing import Any

from .connect import check_destination, transfer_create_internal
from .params import Params, StripeError, invalid, merge_metadata
from .state import Context, State, TestCard, card_error, new_id, now, resolve_payment_method

AUTHORIZATION_DAYS = 7
_MINIMUM = {"usd": 50, "eur": 50, "chf": 50, "gbp": 30, "pln": 200}
_CANCELABLE = (
    "requires_payment_method",
    "requires_confirmation",
    "requires_action",
    "requires_capture",
    "processing",
)
_UPDATABLE_AMOUNT = ("requires_payment_method", "requires_confirmation", "requires_action")
_PI_CREATE = (
    "amount",
    "currency",
    "customer",
    "payment_method",
    "payment_method_types",
    "payment_method_options",
    "automatic_payment_methods",
    "confirm",
    "confirmation_method",
    "capture_method",
    "application_fee_amount",
    "transfer_data",
    "transfer_group",
    "on_behalf_of",
    "metadata",
    "description",
    "receipt_email",
    "statement_descriptor",
    "statement_descriptor_suffix",
    "off_session",
    "return_url",
    "setup_future_usage",
    "error_on_requires_action",
    "use_stripe_sdk",
)


def _unexpected_state(pi: dict[str, Any], action: str, allowed: tuple[str, ...]) -> StripeError:
    return invalid(
        f"This PaymentIntent could not be {action} because it has a status of {pi['status']}. "
        f"Only a PaymentIntent with one of the following statuses may be {action}: "
        f"{', '.join(allowed)}.",
        code="payment_intent_unexpected_state",
    )


def _amount(params: Params, currency: str) -> int:
    amount = params.integer("amount", required=True, minimum=1)
    minimum = _MINIMUM.get(currency, 1)
    if amount < minimum:
        raise invalid(
            f"Amount must be at least {minimum} {currency} minor units.",
            param="amount",
            code="amount_too_small",
        )
    return amount


def payment_intent_create(state: State, ctx: Context, params: Params):
    params.allow(_PI_CREATE)
    currency = params.text("currency", required=True).lower()
    amount = _amount(params, currency)
    capture_method = params.text(
        "capture_method", choices=("automatic", "automatic_async", "manual")
    )
    customer = params.text("customer")
    if customer:
        state.get(customer, "cus", param="customer")
    transfer_data = params.mapping("transfer_data")
    destination = transfer_data.get("destination")
    if transfer_data and not destination:
        raise invalid("Missing required param: transfer_data[destination].", param="transfer_data")
    if destination:
        check_destination(state, destination, param="transfer_data[destination]")
    on_behalf_of = params.text("on_behalf_of")
    if on_behalf_of:
        check_destination(state, on_behalf_of, param="on_behalf_of")
    fee = params.integer("application_fee_amount", minimum=0)
    if fee is not None:
        if not (destination or on_behalf_of or ctx.stripe_account):
            raise invalid(
                "Can only apply an application_fee_amount when the PaymentIntent is attempting a "
                "direct payment (using an OAuth key or Stripe-Account header) or destination "
                "payment (using `transfer_data[destination]`).",
                param="application_fee_amount",
            )
        if fee > amount:
            raise invalid(
                "application_fee_amount cannot be greater than amount.",
                param="application_fee_amount",
            )
    pi_id = new_id("pi")
    pi: dict[str, Any] = {
        "id": pi_id,
        "object": "payment_intent",
        "amount": amount,
        "amount_capturable": 0,
        "amount_received": 0,
        "application_fee_amount": fee,
        "canceled_at": None,
        "cancellation_reason": None,
        "capture_method": capture_method or "automatic",
        "client_secret": f"{pi_id}_secret_{new_id('x', 25)[2:]}",
        "confirmation_method": "automatic",
        "created": now(),
        "currency": currency,
        "customer": customer,
        "description": params.text("description"),
        "last_payment_error": None,
        "latest_charge": None,
        "livemode": False,
        "metadata": merge_metadata({}, params.mapping("metadata")),
        "next_action": None,
        "on_behalf_of": on_behalf_of,
        "payment_method": None,
        "payment_method_types": ["card"],
        "receipt_email": params.text("receipt_email"),
        "setup_future_usage": params.text("setup_future_usage"),
        "statement_descriptor": params.text("statement_descriptor"),
        "status": "requires_payment_method",
        "transfer_data": None,
        "transfer_group": params.text("transfer_group"),
    }
    if destination:
        pi["transfer_data"] = {"destination": destination}
        if transfer_data.get("amount"):
            pi["transfer_data"]["amount"] = Params(transfer_data).integer("amount", minimum=0)
    if params.text("payment_method"):
        pm = resolve_payment_method(state, params.text("payment_method"), param="payment_method")
        pi["payment_method"] = pm["id"]
        pi["status"] = "requires_confirmation"
    state.add(pi)
    state.emit(ctx, "payment_intent.created", pi)
    if params.boolean("confirm"):
        _confirm(state, ctx, pi, params)
    return pi


def payment_intent_update(state: State, ctx: Context, params: Params, pi_id: str):
    params.allow(
        (
            "amount",
            "metadata",
            "description",
            "receipt_email",
            "application_fee_amount",
            "payment_method",
            "statement_descriptor",
            "transfer_group",
        )
    )
    pi = state.get(pi_id, "pi")
    if pi["status"] in ("succeeded", "canceled"):
        raise invalid(
            f"This PaymentIntent's status is {pi['status']} and cannot be updated.",
            code="payment_intent_unexpected_state",
        )
    if params.has("amount"):
        if pi["status"] not in _UPDATABLE_AMOUNT:
            raise _unexpected_state(pi, "updated with a new amount", _UPDATABLE_AMOUNT)
        pi["amount"] = _amount(params, pi["currency"])
    if params.has("application_fee_amount"):
        fee = params.integer("application_fee_amount", minimum=0)
        if fee is not None and fee > pi["amount"]:
            raise invalid(
                "application_fee_amount cannot be greater than amount.",
                param="application_fee_amount",
            )
        pi["application_fee_amount"] = fee
    if params.has("payment_method"):
        if pi["status"] not in _UPDATABLE_AMOUNT:
            raise _unexpected_state(pi, "updated with a new payment method", _UPDATABLE_AMOUNT)
        pm = resolve_payment_method(state, params.text("payment_method"), param="payment_method")
        pi["payment_method"] = pm["id"]
        pi["status"] = "requires_confirmation"
    for name in ("description", "receipt_email", "statement_descriptor", "transfer_group"):
        if params.has(name):
            pi[name] = params.text(name)
    pi["metadata"] = merge_metadata(pi["metadata"], params.mapping("metadata"))
    return pi


def payment_intent_confirm(state: State, ctx: Context, params: Params, pi_id: str):
    params.allow(
        (
            "payment_method",
            "off_session",
            "return_url",
            "error_on_requires_action",
            "use_stripe_sdk",
            "payment_method_options",
            "setup_future_usage",
            "receipt_email",
            "capture_method",
        )
    )
    pi = state.get(pi_id, "pi")
    allowed = ("requires_payment_method", "requires_confirmation", "requires_action")
    if pi["status"] not in allowed:
        raise _unexpected_state(pi, "confirmed", allowed)
    if params.text("payment_method"):
        pm = resolve_payment_method(state, params.text("payment_method"), param="payment_method")
        pi["payment_method"] = pm["id"]
    if params.text("capture_method"):
        pi["capture_method"] = params.text(
            "capture_method", choices=("automatic", "automatic_async", "manual")
        )
    _confirm(state, ctx, pi, params)
    return pi


def _confirm(state: State, ctx: Context, pi: dict[str, Any], params: Params) -> None:
    if not pi["payment_method"]:
        raise invalid(
            "You cannot confirm this PaymentIntent because it's missing a payment method. To "
            "confirm the PaymentIntent with cus_..., specify a payment method attached to this "
            "customer along with the customer ID.",
            code="payment_intent_unexpected_state",
        )
    card = state.card_of.get(pi["payment_method"], TestCard("visa", "4242"))
    pi["last_payment_error"] = None
    pi["next_action"] = None
    if card.decline_code:
        _decline(state, ctx, pi, card)
    if card.requires_authentication and pi["id"] not in state.authenticated:
        if params.boolean("off_session") or params.boolean("error_on_requires_action"):
            auth = TestCard(
                card.brand,
                card.last4,
                "authentication_required",
                error_code="authentication_required",
                message="Your card was declined. This transaction requires authentication.",
            )
            _decline(state, ctx, pi, auth)
        complete_url = f"{ctx.base_url}/_fake/authenticate/{pi['id']}"
        return_url = params.text("return_url")
        pi["status"] = "requires_action"
        pi["next_action"] = (
            {
                "type": "redirect_to_url",
                "redirect_to_url": {"url": complete_url, "return_url": return_url},
            }
            if return_url
            else {
                "type": "use_stripe_sdk",
                "use_stripe_sdk": {"type": "three_d_secure_redirect", "stripe_js": complete_url},
            }
        )
        state.return_urls[pi["id"]] = return_url
        state.emit(ctx, "payment_intent.requires_action", pi)
        return
    _authorize(state, ctx, pi)


def _new_charge(pi: dict[str, Any], card: TestCard, status: str) -> dict[str, Any]:
    created = now()
    return {
        "id": new_id("ch"),
        "object": "charge",
        "amount": pi["amount"],
        "amount_captured": 0,
        "amount_refunded": 0,
        "application_fee": None,
        "application_fee_amount": None,
        "balance_transaction": None,
        "captured": False,
        "created": created,
        "currency": pi["currency"],
        "customer": pi["customer"],
        "description": pi["description"],
        "dispute": None,
        "disputed": False,
        "failure_code": None,
        "failure_message": None,
        "livemode": False,
        "metadata": dict(pi["metadata"]),
        "on_behalf_of": pi["on_behalf_of"],
        "outcome": {
            "network_status": "approved_by_network",
            "reason": None,
            "risk_level": "normal",
            "seller_message": "Payment complete.",
            "type": "authorized",
        },
        "paid": status == "succeeded",
        "payment_intent": pi["id"],
        "payment_method": pi["payment_method"],
        "payment_method_details": {
            "type": "card",
            "card": {
                "brand": card.brand,
                "last4": card.last4,
                "capture_before": created + AUTHORIZATION_DAYS * 86400,
            },
        },
        "refunded": False,
        "status": status,
        "transfer": None,
        "transfer_data": pi["transfer_data"],
        "transfer_group": pi["transfer_group"],
    }


def _decline(state: State, ctx: Context, pi: dict[str, Any], card: TestCard) -> None:
    """Record the failed charge and the failure on the intent, then raise the 402."""
    charge = _new_charge(pi, card, "failed")
    charge["failure_code"] = card.error_code
    charge["failure_message"] = card.message
    charge["outcome"].update(
        network_status="declined_by_network",
        reason=card.decline_code,
        seller_message="The bank did not return any further details with this decline.",
        type="issuer_declined",
    )
    state.add(charge)
    error = card_error(card)
    error_fields = error.body()["error"]
    pm = state.objects[pi["payment_method"]]
    pi["latest_charge"] = charge["id"]
    pi["status"] = "requires_payment_method"
    pi["last_payment_error"] = {**error_fields, "charge": charge["id"], "payment_method": pm}
    state.emit(ctx, "charge.failed", charge)
    state.emit(ctx, "payment_intent.payment_failed", pi)
    error.extra.update(charge=charge["id"], payment_intent=state.render(pi, []), payment_method=pm)
    raise error


def _authorize(state: State, ctx: Context, pi: dict[str, Any]) -> None:
    card = state.card_of.get(pi["payment_method"], TestCard("visa", "4242"))
    charge = state.add(_new_charge(pi, card, "succeeded"))
    pi["latest_charge"] = charge["id"]
    if pi["capture_method"] == "manual":
        pi["status"] = "requires_capture"
        pi["amount_capturable"] = pi["amount"]
        state.emit(ctx, "charge.succeeded", charge)
        state.emit(ctx, "payment_intent.amount_capturable_updated", pi)
        return
    state.emit(ctx, "charge.succeeded", charge)
    _settle(state, ctx, pi, charge, pi["amount"], pi["application_fee_amount"])


def _settle(state, ctx, pi, charge, amount: int, fee: int | None) -> None:
    """Capture `amount` on the charge: fee to the platform, the rest to the destination."""
    charge.update(captured=True, amount_captured=amount)
    if amount < charge["amount"]:  # the uncaptured remainder is released to the cardholder
        charge["outcome"]["seller_message"] = "Payment complete (partially captured)."
    pi.update(status="succeeded", amount_received=amount, amount_capturable=0)
    transfer_data = pi["transfer_data"]
    if transfer_data:
        fee = min(fee or 0, amount)
        pi["application_fee_amount"] = fee if pi["application_fee_amount"] is not None else None
        transfer_amount = transfer_data.get("amount", amount - fee)
        if fee and "amount" not in transfer_data:
            app_fee = state.add(
                {
                    "id": new_id("fee"),
                    "object": "application_fee",
                    "account": transfer_data["destination"],
                    "amount": fee,
                    "amount_refunded": 0,
                    "charge": charge["id"],
                    "created": now(),
                    "currency": pi["currency"],
                    "livemode": False,
                    "refunded": False,
                }
            )
            charge.update(application_fee=app_fee["id"], application_fee_amount=fee)
        transfer = transfer_create_internal(
            state,
            ctx,
            amount=transfer_amount,
            currency=pi["currency"],
            destination=transfer_data["destination"],
            source_transaction=charge["id"],
            transfer_group=pi["transfer_group"],
        )
        charge["transfer"] = transfer["id"]
    if charge["captured"] and pi["capture_method"] == "manual":
        state.emit(ctx, "charge.captured", charge)
    state.emit(ctx, "payment_intent.succeeded", pi)


def payment_intent_capture(state: State, ctx: Context, params: Params, pi_id: str):
    params.allow(("amount_to_capture", "application_fee_amount", "metadata", "final_capture"))
    pi = state.get(pi_id, "pi")
    if pi["status"] != "requires_capture":
        raise _unexpected_state(pi, "captured", ("requires_capture",))
    amount = params.integer("amount_to_capture", minimum=1)
    if amount is None:
        amount = pi["amount_capturable"]
    if amount > pi["amount_capturable"]:
        raise invalid(
            f"The amount_to_capture ({amount}) can't be greater than the amount_capturable "
            f"({pi['amount_capturable']}).",
            param="amount_to_capture",
            code="amount_too_large",
        )
    fee = params.integer("application_fee_amount", minimum=0)
    if fee is None:
        fee = pi["application_fee_amount"]
    elif fee > amount:
        raise invalid(
            "application_fee_amount cannot be greater than amount_to_capture.",
            param="application_fee_amount",
        )
    else:
        pi["application_fee_amount"] = fee
    pi["metadata"] = merge_metadata(pi["metadata"], params.mapping("metadata"))
    charge = state.objects[pi["latest_charge"]]
    _settle(state, ctx, pi, charge, amount, fee)
    return pi


def payment_intent_cancel(state: State, ctx: Context, params: Params, pi_id: str):
    params.allow(("cancellation_reason",))
    reason = params.text(
        "cancellation_reason",
        choices=("duplicate", "fraudulent", "requested_by_customer", "abandoned"),
    )
    pi = state.get(pi_id, "pi")
    if pi["status"] not in _CANCELABLE:
        raise _unexpected_state(pi, "canceled", _CANCELABLE)
    _cancel(state, ctx, pi, reason)
    return pi


def _cancel(state: State, ctx: Context, pi: dict[str, Any], reason: str | None) -> None:
    if pi["status"] == "requires_capture":  # the authorisation is released
        charge = state.objects[pi["latest_charge"]]
        charge.update(refunded=True, amount_refunded=charge["amount"])
    pi.update(
        status="canceled",
        canceled_at=now(),
        cancellation_reason=reason,
        amount_capturable=0,
        next_action=None,
    )
    state.emit(ctx, "payment_intent.canceled", pi)


# -- test helpers (called with the lock held by FakeStripe) ----------------------------------


def complete_action(state: State, ctx: Context, pi_id: str, *, success: bool = True):
    pi = state.get(pi_id, "pi")
    if pi["status"] != "requires_action":
        raise _unexpected_state(pi, "authenticated", ("requires_action",))
    pi["next_action"] = None
    if success:
        state.authenticated.add(pi_id)
        _authorize(state, ctx, pi)
    else:
        pi["status"] = "requires_payment_method"
        pi["last_payment_error"] = {
            "type": "invalid_request_error",
            "code": "payment_intent_authentication_failure",
            "message": "The provided PaymentMethod has failed authentication. You can provide "
            "payment_method_data or a new PaymentMethod to attempt to fulfill this PaymentIntent "
            "again.",
            "payment_method": state.objects[pi["payment_method"]],
        }
        state.emit(ctx, "payment_intent.payment_failed", pi)
    return pi


def expire_authorization(state: State, ctx: Context, pi_id: str):
    pi = state.get(pi_id, "pi")
    if pi["status"] != "requires_capture":
        raise _unexpected_state(pi, "expired", ("requires_capture",))
    _cancel(state, ctx, pi, "automatic")
    return pi
