"""In-memory Stripe account state: objects by id, emitted events, test card behaviour.

Every operation runs under `State.lock` (held by the server for the whole request), so the
functions in `payments.py` and `connect.py` can read and write `state.objects` freely.
"""

import copy
import secrets
import string
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from .params import Params, StripeError, invalid, merge_metadata, no_such

API_VERSION = "2026-10-28.endive"  # what stripe 16.1 sends; echoed when a request has none
_ALPHABET = string.ascii_letters + string.digits

# prefix -> (object name used in "No such ..." messages, URL collection for generic retrieve)
KINDS = {
    "cus": ("customer", "customers"),
    "pm": ("PaymentMethod", "payment_methods"),
    "pi": ("payment_intent", "payment_intents"),
    "ch": ("charge", "charges"),
    "re": ("refund", "refunds"),
    "acct": ("account", "accounts"),
    "tr": ("transfer", "transfers"),
    "trr": ("transfer_reversal", None),
    "fee": ("application_fee", "application_fees"),
    "dp": ("dispute", "disputes"),
    "evt": ("event", "events"),
    "py": ("payment", None),
}
COLLECTIONS = {collection: prefix for prefix, (_, collection) in KINDS.items() if collection}


@dataclass(frozen=True)
class TestCard:
    brand: str
    last4: str
    decline_code: str | None = None  # card_declined with this decline_code
    error_code: str = "card_declined"
    message: str = "Your card was declined."
    decline_on_attach: bool = False  # Stripe verifies the card when it is attached
    requires_authentication: bool = False  # 3DS on every on-session confirmation


_GENERIC = TestCard("visa", "0002", "generic_decline", decline_on_attach=True)
_FUNDS = TestCard(
    "visa",
    "9995",
    "insufficient_funds",
    message="Your card has insufficient funds.",
    decline_on_attach=True,
)
_3DS = TestCard("visa", "3184", requires_authentication=True)
TEST_CARDS = {
    "pm_card_visa": TestCard("visa", "4242"),
    "pm_card_mastercard": TestCard("mastercard", "4444"),
    "pm_card_amex": TestCard("amex", "8431"),
    "pm_card_chargeDeclined": _GENERIC,
    "pm_card_visa_chargeDeclined": _GENERIC,
    "pm_card_chargeDeclinedInsufficientFunds": _FUNDS,
    "pm_card_visa_chargeDeclinedInsufficientFunds": _FUNDS,
    "pm_card_chargeDeclinedExpiredCard": TestCard(
        "visa",
        "0069",
        "expired_card",
        error_code="expired_card",
        message="Your card has expired.",
        decline_on_attach=True,
    ),
    "pm_card_chargeCustomerFail": TestCard("visa", "0341", "generic_decline"),
    "pm_card_authenticationRequired": _3DS,
    "pm_card_threeDSecure2Required": TestCard("visa", "3220", requires_authentication=True),
}


@dataclass
class Context:
    """One API call (or one test helper call): who asked, and the events it caused."""

    base_url: str
    request_id: str | None = None
    idempotency_key: str | None = None
    api_version: str = API_VERSION
    stripe_account: str | None = None
    events: list[dict[str, Any]] = field(default_factory=list)


def new_id(prefix: str, length: int = 24) -> str:
    return f"{prefix}_" + "".join(secrets.choice(_ALPHABET) for _ in range(length))


def now() -> int:
    return int(time.time())


class State:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.objects: dict[str, dict[str, Any]] = {}
        self.events: list[dict[str, Any]] = []
        self.card_of: dict[str, TestCard] = {}  # pm id -> behaviour (not part of the JSON)
        self.authenticated: set[str] = set()  # pi ids whose 3DS challenge was passed
        self.account_links: dict[str, dict[str, Any]] = {}
        self.return_urls: dict[str, str | None] = {}  # pi id -> return_url given at confirm

    def checkpoint(self) -> dict[str, Any]:
        """Everything but the lock, so a failed request can be rolled back (Stripe is atomic)."""
        return copy.deepcopy({key: value for key, value in vars(self).items() if key != "lock"})

    def restore(self, saved: dict[str, Any]) -> None:
        for key, value in saved.items():
            setattr(self, key, value)

    # -- storage ---------------------------------------------------------------------------

    def add(self, obj: dict[str, Any]) -> dict[str, Any]:
        self.objects[obj["id"]] = obj
        return obj

    def get(self, object_id: str, prefix: str, *, param: str | None = None) -> dict[str, Any]:
        obj = self.objects.get(object_id) if isinstance(object_id, str) else None
        if obj is None or not object_id.startswith(prefix + "_"):
            raise no_such(KINDS[prefix][0], str(object_id), param=param)
        return obj

    def snapshot(self, object_id: str) -> dict[str, Any]:
        with self.lock:
            return copy.deepcopy(self.objects[object_id])

    def render(self, obj: dict[str, Any], expand: list[str]) -> dict[str, Any]:
        """Deep copy for the response, replacing expanded id fields with their objects."""
        out = copy.deepcopy(obj)
        for path in expand:
            self._expand(out, path.split("."))
        return out

    def _expand(self, node: Any, parts: list[str]) -> None:
        if not isinstance(node, dict) or not parts:
            return
        head, rest = parts[0], parts[1:]
        if head == "data" and node.get("object") == "list":
            for item in node.get("data", []):
                self._expand(item, rest)
            return
        value = node.get(head)
        if isinstance(value, str) and value in self.objects:
            node[head] = value = copy.deepcopy(self.objects[value])
        self._expand(value, rest)

    # -- events ----------------------------------------------------------------------------

    def emit(
        self,
        ctx: Context,
        type_: str,
        obj: dict[str, Any],
        previous_attributes: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        data: dict[str, Any] = {"object": copy.deepcopy(obj)}
        if previous_attributes is not None:
            data["previous_attributes"] = copy.deepcopy(previous_attributes)
        event = {
            "id": new_id("evt"),
            "object": "event",
            "api_version": ctx.api_version,
            "created": now(),
            "data": data,
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": ctx.request_id, "idempotency_key": ctx.idempotency_key},
            "type": type_,
        }
        if ctx.stripe_account:
            event["account"] = ctx.stripe_account
        self.add(event)
        self.events.append(event)
        ctx.events.append(event)
        return event


def retrieve(state: State, ctx: Context, params: Params, collection: str, object_id: str):
    prefix = COLLECTIONS[collection]
    params.allow(())
    return state.get(object_id, prefix)


# -- customers -------------------------------------------------------------------------------

_CUSTOMER_FIELDS = ("email", "name", "phone", "description")


def customer_create(state: State, ctx: Context, params: Params):
    params.allow((*_CUSTOMER_FIELDS, "metadata", "payment_method", "invoice_settings"))
    customer = {
        "id": new_id("cus", 14),
        "object": "customer",
        "created": now(),
        "livemode": False,
        "metadata": merge_metadata({}, params.mapping("metadata")),
        "invoice_settings": {"default_payment_method": None},
        "default_source": None,
        "balance": 0,
        "currency": None,
        "delinquent": False,
        **{name: params.text(name) for name in _CUSTOMER_FIELDS},
    }
    state.add(customer)
    if params.text("payment_method"):
        attach = Params({"customer": customer["id"]})
        pm = payment_method_attach(state, ctx, attach, params.text("payment_method"))
        customer["invoice_settings"]["default_payment_method"] = pm["id"]
    _set_default_pm(state, customer, params)
    return customer


def customer_update(state: State, ctx: Context, params: Params, customer_id: str):
    params.allow((*_CUSTOMER_FIELDS, "metadata", "invoice_settings"))
    customer = state.get(customer_id, "cus")
    for name in _CUSTOMER_FIELDS:
        if params.has(name):
            customer[name] = params.text(name)
    customer["metadata"] = merge_metadata(customer["metadata"], params.mapping("metadata"))
    _set_default_pm(state, customer, params)
    return customer


def _set_default_pm(state: State, customer: dict[str, Any], params: Params) -> None:
    settings = params.mapping("invoice_settings")
    pm_id = settings.get("default_payment_method")
    if pm_id:
        param = "invoice_settings[default_payment_method]"
        pm = state.get(pm_id, "pm", param=param)
        if pm["customer"] != customer["id"]:
            raise invalid(
                f"The customer does not have a payment method with the ID {pm_id}. The payment "
                "method must be attached to the customer.",
                param=param,
                code="resource_missing",
            )
        customer["invoice_settings"]["default_payment_method"] = pm_id


def customer_list(state: State, ctx: Context, params: Params):
    params.allow(("email", "limit", "starting_after", "ending_before", "created"))
    email = params.text("email")
    limit = params.integer("limit", minimum=1) or 10
    found = [
        obj
        for obj in reversed(state.objects.values())
        if obj["object"] == "customer" and (email is None or obj.get("email") == email)
    ]
    return {
        "object": "list",
        "data": found[:limit],
        "has_more": len(found) > limit,
        "url": "/v1/customers",
    }


# -- payment methods ---------------------------------------------------------------------------


def resolve_payment_method(state: State, pm_id: str, *, param: str) -> dict[str, Any]:
    """A `pm_card_*` test id becomes a fresh `pm_...` each time it is used, as on Stripe."""
    card = TEST_CARDS.get(pm_id)
    if card is None:
        return state.get(pm_id, "pm", param=param)
    pm = {
        "id": new_id("pm"),
        "object": "payment_method",
        "type": "card",
        "created": now(),
        "customer": None,
        "livemode": False,
        "metadata": {},
        "billing_details": {"address": None, "email": None, "name": None, "phone": None},
        "card": {
            "brand": card.brand,
            "last4": card.last4,
            "exp_month": 12,
            "exp_year": time.gmtime().tm_year + 3,
            "funding": "credit",
            "country": "US",
        },
    }
    state.card_of[pm["id"]] = card
    return state.add(pm)


def payment_method_attach(state: State, ctx: Context, params: Params, pm_id: str):
    params.allow(("customer",))
    customer_id = params.text("customer", required=True)
    state.get(customer_id, "cus", param="customer")
    if pm_id not in TEST_CARDS:
        state.get(pm_id, "pm")  # 404: the id is in the URL
    pm = resolve_payment_method(state, pm_id, param="payment_method")
    card = state.card_of.get(pm["id"])
    if card and card.decline_on_attach:
        raise card_error(card)
    if pm["customer"] not in (None, customer_id):
        raise invalid(
            "The payment method you provided has already been attached to a customer.",
            code="payment_method_unexpected_state",
        )
    pm["customer"] = customer_id
    state.emit(ctx, "payment_method.attached", pm)
    return pm


def card_error(card: TestCard, **extra: Any) -> StripeError:
    return StripeError(
        402,
        "card_error",
        card.message,
        code=card.error_code,
        decline_code=card.decline_code,
        extra=extra,
    )
