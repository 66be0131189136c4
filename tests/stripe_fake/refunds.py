"""Refunds (with transfer reversal and application fee refund) and disputes."""

from typing import Any

from .connect import reverse_transfer
from .params import Params, invalid, merge_metadata
from .state import Context, State, new_id, now

_REFUND_REASONS = ("duplicate", "fraudulent", "requested_by_customer", "expired_uncaptured_charge")


def refund_create(state: State, ctx: Context, params: Params):
    params.allow(
        (
            "payment_intent",
            "charge",
            "amount",
            "reason",
            "metadata",
            "reverse_transfer",
            "refund_application_fee",
            "instructions_email",
        )
    )
    pi_id, charge_id = params.text("payment_intent"), params.text("charge")
    if not (pi_id or charge_id):
        raise invalid(
            "One of the following params should be provided for this request: payment_intent "
            "or charge.",
            code="parameter_missing",
        )
    if pi_id:
        pi = state.get(pi_id, "pi", param="payment_intent")
        if pi["status"] != "succeeded":
            raise invalid(
                f"This PaymentIntent ({pi_id}) does not have a successful charge to refund.",
                param="payment_intent",
                code="charge_not_refundable",
            )
        charge = state.objects[pi["latest_charge"]]
    else:
        charge = state.get(charge_id, "ch", param="charge")
        if not charge["captured"]:
            raise invalid(
                f"Charge {charge_id} has not been captured.",
                param="charge",
                code="charge_not_refundable",
            )
    remaining = charge["amount_captured"] - charge["amount_refunded"]
    if remaining <= 0:
        raise invalid(
            f"Charge {charge['id']} has already been refunded.", code="charge_already_refunded"
        )
    amount = params.integer("amount", minimum=1)
    if amount is None:
        amount = remaining
    if amount > remaining:
        raise invalid(
            f"Refund amount ({_money(amount, charge)}) is greater than unrefunded amount on "
            f"charge ({_money(remaining, charge)})",
            param="amount",
            code="amount_too_large",
        )
    refund = {
        "id": new_id("re"),
        "object": "refund",
        "amount": amount,
        "charge": charge["id"],
        "created": now(),
        "currency": charge["currency"],
        "metadata": merge_metadata({}, params.mapping("metadata")),
        "payment_intent": charge["payment_intent"],
        "reason": params.text("reason", choices=_REFUND_REASONS),
        "status": "succeeded",
        "transfer_reversal": None,
        "source_transfer_reversal": None,
    }
    charge["amount_refunded"] += amount
    charge["refunded"] = charge["amount_refunded"] == charge["amount_captured"]
    if params.boolean("reverse_transfer") and charge["transfer"]:
        reversal = reverse_transfer(state, ctx, charge, amount, refund["id"])
        refund["transfer_reversal"] = reversal["id"]
    if params.boolean("refund_application_fee") and charge["application_fee"]:
        fee = state.objects[charge["application_fee"]]
        share = _share(fee["amount"], fee["amount_refunded"], amount, charge)
        fee["amount_refunded"] += share
        fee["refunded"] = fee["amount_refunded"] == fee["amount"]
    state.add(refund)
    state.emit(ctx, "refund.created", refund)
    state.emit(ctx, "charge.refunded", charge)
    return refund


def _share(total: int, done: int, refund_amount: int, charge: dict[str, Any]) -> int:
    """Proportional part of `total`; the refund that empties the charge takes the remainder."""
    if charge["refunded"]:
        return total - done
    return min(total - done, refund_amount * total // charge["amount_captured"])


def _money(amount: int, charge: dict[str, Any]) -> str:
    return f"{charge['currency'].upper()} {amount / 100:.2f}"


def create_dispute(state: State, ctx: Context, pi_id: str, *, reason: str, amount: int | None):
    pi = state.get(pi_id, "pi")
    charge = state.objects.get(pi["latest_charge"] or "")
    if charge is None or not charge["captured"]:
        raise invalid(f"PaymentIntent {pi_id} has no captured charge to dispute.")
    dispute = state.add(
        {
            "id": new_id("dp"),
            "object": "dispute",
            "amount": amount if amount is not None else charge["amount_captured"],
            "charge": charge["id"],
            "created": now(),
            "currency": charge["currency"],
            "evidence_details": {"due_by": now() + 7 * 86400, "has_evidence": False},
            "is_charge_refundable": False,
            "livemode": False,
            "metadata": {},
            "payment_intent": pi_id,
            "reason": reason,
            "status": "needs_response",
        }
    )
    charge.update(disputed=True, dispute=dispute["id"])
    state.emit(ctx, "charge.dispute.created", dispute)
    return dispute
