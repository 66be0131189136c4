"""Connect: Express accounts, onboarding links, transfers and their reversals."""

import copy
from typing import Any

from .params import Params, invalid, merge_metadata
from .state import Context, State, new_id, now

LINK_SECONDS = 300
_DUE = [
    "business_type",
    "external_account",
    "individual.dob.day",
    "individual.first_name",
    "individual.last_name",
    "tos_acceptance.date",
]


def account_create(state: State, ctx: Context, params: Params):
    params.allow(
        (
            "type",
            "controller",
            "country",
            "email",
            "capabilities",
            "business_type",
            "business_profile",
            "metadata",
            "default_currency",
            "settings",
            "tos_acceptance",
            "individual",
            "company",
        )
    )
    type_ = params.text("type", choices=("express", "standard", "custom"))
    if type_ is None and not params.has("controller"):
        raise invalid("You must specify either `type` or `controller`.", param="type")
    country = (params.text("country") or "CH").upper()
    requested = [
        name
        for name, value in params.mapping("capabilities").items()
        if isinstance(value, dict) and value.get("requested") == "true"
    ]
    account = {
        "id": new_id("acct", 16),
        "object": "account",
        "type": type_ or "custom",
        "country": country,
        "email": params.text("email"),
        "business_type": params.text("business_type"),
        "business_profile": params.mapping("business_profile") or {"name": None, "url": None},
        "capabilities": {name: "inactive" for name in requested},
        "charges_enabled": False,
        "payouts_enabled": False,
        "details_submitted": False,
        "created": now(),
        "default_currency": params.text("default_currency") or _currency(country),
        "metadata": merge_metadata({}, params.mapping("metadata")),
        "requirements": {
            "currently_due": list(_DUE),
            "eventually_due": list(_DUE),
            "past_due": list(_DUE),
            "pending_verification": [],
            "disabled_reason": "requirements.past_due",
            "current_deadline": None,
            "errors": [],
        },
    }
    state.add(account)
    return account


def _currency(country: str) -> str:
    return {"CH": "chf", "PL": "pln", "GB": "gbp", "US": "usd"}.get(country, "eur")


def account_update(state: State, ctx: Context, params: Params, account_id: str):
    params.allow(("metadata", "email", "business_profile", "capabilities", "settings"))
    account = state.get(account_id, "acct")
    before = copy.deepcopy(account)
    if params.has("email"):
        account["email"] = params.text("email")
    account["metadata"] = merge_metadata(account["metadata"], params.mapping("metadata"))
    for name, value in params.mapping("capabilities").items():
        if isinstance(value, dict) and value.get("requested") == "true":
            account["capabilities"].setdefault(name, "inactive")
    _emit_updated(state, ctx, account, before)
    return account


def update_account(state: State, ctx: Context, account_id: str, fields: dict[str, Any]):
    """Test helper: overwrite top-level fields (e.g. `payouts_enabled=False`) and notify."""
    account = state.get(account_id, "acct")
    before = copy.deepcopy(account)
    account.update(copy.deepcopy(fields))
    _emit_updated(state, ctx, account, before)
    return account


def complete_onboarding(state: State, ctx: Context, account_id: str):
    account = state.get(account_id, "acct")
    fields = {
        "details_submitted": True,
        "charges_enabled": True,
        "payouts_enabled": True,
        "capabilities": {name: "active" for name in account["capabilities"]}
        or {"card_payments": "active", "transfers": "active"},
        "requirements": {
            **account["requirements"],
            "currently_due": [],
            "eventually_due": [],
            "past_due": [],
            "disabled_reason": None,
        },
    }
    return update_account(state, ctx, account_id, fields)


def _emit_updated(state: State, ctx: Context, account: dict[str, Any], before: dict[str, Any]):
    previous = {key: value for key, value in before.items() if account.get(key) != value}
    if previous:
        state.emit(ctx, "account.updated", account, previous_attributes=previous)


def check_destination(state: State, account_id: str, *, param: str) -> dict[str, Any]:
    account = state.objects.get(account_id)
    if account is None or account.get("object") != "account":
        raise invalid(f"No such destination: '{account_id}'", param=param, code="resource_missing")
    if account["capabilities"].get("transfers") != "active":
        raise invalid(
            "Your destination account needs to have at least one of the following capabilities "
            "enabled: transfers, crypto_transfers, legacy_payments",
            param=param,
            code="insufficient_capabilities_for_transfer",
        )
    return account


# -- account links -----------------------------------------------------------------------------


def account_link_create(state: State, ctx: Context, params: Params):
    params.allow(("account", "type", "refresh_url", "return_url", "collect", "collection_options"))
    account_id = params.text("account", required=True)
    state.get(account_id, "acct", param="account")
    link_type = params.text("type", required=True, choices=("account_onboarding", "account_update"))
    token = new_id("link")
    created = now()
    state.account_links[token] = {
        "account": account_id,
        "type": link_type,
        "refresh_url": params.text("refresh_url"),
        "return_url": params.text("return_url"),
        "expires_at": created + LINK_SECONDS,
        "used": False,
    }
    return {
        "object": "account_link",
        "created": created,
        "expires_at": created + LINK_SECONDS,
        "url": f"{ctx.base_url}/_fake/connect/onboarding/{token}",
    }


def visit_account_link(state: State, ctx: Context, token: str, *, complete: bool) -> str | None:
    """What the browser sees: onboarding done (or abandoned), redirect to return/refresh URL."""
    link = state.account_links.get(token)
    if link is None:
        return None
    if link["used"] or link["expires_at"] < now():
        return link["refresh_url"]
    link["used"] = True
    if complete:
        complete_onboarding(state, ctx, link["account"])
    return link["return_url"]


# -- transfers -------------------------------------------------------------------------------


def transfer_create(state: State, ctx: Context, params: Params):
    params.allow(
        (
            "amount",
            "currency",
            "destination",
            "transfer_group",
            "source_transaction",
            "metadata",
            "description",
        )
    )
    amount = params.integer("amount", required=True, minimum=1)
    currency = params.text("currency", required=True).lower()
    destination = params.text("destination", required=True)
    check_destination(state, destination, param="destination")
    source = params.text("source_transaction")
    if source:
        charge = state.get(source, "ch", param="source_transaction")
        if amount > charge["amount_captured"] - charge["amount_refunded"]:
            raise invalid(
                "Transfer amount exceeds the available amount of the source transaction.",
                param="amount",
                code="amount_too_large",
            )
    transfer = transfer_create_internal(
        state,
        ctx,
        amount=amount,
        currency=currency,
        destination=destination,
        source_transaction=source,
        transfer_group=params.text("transfer_group"),
    )
    transfer["description"] = params.text("description")
    transfer["metadata"] = merge_metadata({}, params.mapping("metadata"))
    return transfer


def transfer_create_internal(
    state: State,
    ctx: Context,
    *,
    amount: int,
    currency: str,
    destination: str,
    source_transaction: str | None,
    transfer_group: str | None,
) -> dict[str, Any]:
    transfer_id = new_id("tr")
    transfer = state.add(
        {
            "id": transfer_id,
            "object": "transfer",
            "amount": amount,
            "amount_reversed": 0,
            "created": now(),
            "currency": currency,
            "description": None,
            "destination": destination,
            "destination_payment": new_id("py"),
            "livemode": False,
            "metadata": {},
            "reversals": {
                "object": "list",
                "data": [],
                "has_more": False,
                "total_count": 0,
                "url": f"/v1/transfers/{transfer_id}/reversals",
            },
            "reversed": False,
            "source_transaction": source_transaction,
            "transfer_group": transfer_group,
        }
    )
    state.emit(ctx, "transfer.created", transfer)
    return transfer


def reverse_transfer(
    state: State, ctx: Context, charge: dict[str, Any], refund_amount: int, refund_id: str
) -> dict[str, Any]:
    """Reverse the charge's transfer in proportion to the refund; the last one takes the rest."""
    transfer = state.objects[charge["transfer"]]
    left = transfer["amount"] - transfer["amount_reversed"]
    if charge["refunded"]:
        amount = left
    else:
        amount = min(left, refund_amount * transfer["amount"] // charge["amount_captured"])
    reversal = state.add(
        {
            "id": new_id("trr"),
            "object": "transfer_reversal",
            "amount": amount,
            "created": now(),
            "currency": transfer["currency"],
            "metadata": {},
            "source_refund": refund_id,
            "transfer": transfer["id"],
        }
    )
    transfer["amount_reversed"] += amount
    transfer["reversed"] = transfer["amount_reversed"] == transfer["amount"]
    transfer["reversals"]["data"].insert(0, copy.deepcopy(reversal))
    transfer["reversals"]["total_count"] += 1
    state.emit(ctx, "transfer.reversed", transfer)
    return reversal
