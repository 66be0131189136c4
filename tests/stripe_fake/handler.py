"""The HTTP side: auth, routing, idempotency keys, injected faults, request log, webhooks."""

import base64
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlsplit

from . import connect, payments, refunds
from .params import Params, StripeError, decode_form, to_json
from .state import (
    API_VERSION,
    COLLECTIONS,
    Context,
    customer_create,
    customer_list,
    customer_update,
    new_id,
    payment_method_attach,
    retrieve,
)

if TYPE_CHECKING:
    from .server import FakeStripe

logger = logging.getLogger(__name__)

Operation = Callable[..., dict[str, Any]]
_ID = r"([^/]+)"
ROUTES: list[tuple[str, re.Pattern[str], Operation]] = [
    (method, re.compile(f"^{pattern}$"), operation)
    for method, pattern, operation in [
        ("GET", "/v1/customers", customer_list),
        ("POST", "/v1/customers", customer_create),
        ("POST", f"/v1/customers/{_ID}", customer_update),
        ("POST", f"/v1/payment_methods/{_ID}/attach", payment_method_attach),
        ("POST", "/v1/payment_intents", payments.payment_intent_create),
        ("POST", f"/v1/payment_intents/{_ID}", payments.payment_intent_update),
        ("POST", f"/v1/payment_intents/{_ID}/confirm", payments.payment_intent_confirm),
        ("POST", f"/v1/payment_intents/{_ID}/capture", payments.payment_intent_capture),
        ("POST", f"/v1/payment_intents/{_ID}/cancel", payments.payment_intent_cancel),
        ("POST", "/v1/refunds", refunds.refund_create),
        ("POST", "/v1/accounts", connect.account_create),
        ("POST", f"/v1/accounts/{_ID}", connect.account_update),
        ("POST", "/v1/account_links", connect.account_link_create),
        ("POST", "/v1/transfers", connect.transfer_create),
        ("GET", f"/v1/({'|'.join(COLLECTIONS)})/{_ID}", retrieve),
    ]
]


@dataclass
class RequestRecord:
    method: str
    path: str
    params: dict[str, Any]
    idempotency_key: str | None
    stripe_account: str | None = None
    status: int | None = None
    replayed: bool = False
    injected: str | None = None  # "fail" / "timeout" when a fault rule answered


@dataclass
class Stored:
    method: str
    path: str
    params: dict[str, Any]
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    replay: bool = True  # False: an idempotency error answered instead of a replay


class Handler(BaseHTTPRequestHandler):
    server_version = "FakeStripe/1.0"
    protocol_version = "HTTP/1.0"  # one request per connection: nothing lingers after stop()

    @property
    def fake(self) -> "FakeStripe":
        return self.server.fake  # type: ignore[attr-defined]

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s " + format, self.address_string(), *args)

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    # -- pipeline --------------------------------------------------------------------------

    def _handle(self, method: str) -> None:
        url = urlsplit(self.path)
        path = url.path
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode() if length else ""
        if path.startswith("/_fake/"):
            self._fake_page(path, parse_qs(url.query))
            return
        key = self.headers.get("Idempotency-Key") if method == "POST" else None
        record = RequestRecord(method, path, {}, key, self.headers.get("Stripe-Account"))
        self.fake._log(record)  # in arrival order; the status is filled in when answered
        try:
            record.params = decode_form(raw if method == "POST" else url.query)
            self._authenticate()
        except StripeError as error:
            self._finish(record, error.status, to_json(error.body()), {})
            return
        fault = self.fake._take_fault(method, path)
        if fault and fault.kind == "fail":
            record.injected = "fail"
            body = {"error": {"type": "api_error", "message": "An unknown error occurred"}}
            if fault.status == 429:
                body = {
                    "error": {
                        "type": "invalid_request_error",
                        "code": "rate_limit",
                        "message": "Too many requests hit the API too quickly.",
                    }
                }
            self._finish(record, fault.status, to_json(body), {})
            return
        scope = (self._api_key(), record.stripe_account, key)
        if key:
            replay = self.fake._claim_key(scope, method, path, record.params)
            if replay is not None:
                record.replayed = replay.replay
                self._finish(record, replay.status, replay.body, replay.headers)
                return
        ctx = Context(
            base_url=self.fake.url,
            request_id=new_id("req", 14),
            idempotency_key=key,
            api_version=self.headers.get("Stripe-Version") or API_VERSION,
            stripe_account=record.stripe_account,
        )
        try:
            if fault and not fault.after_commit:
                record.injected = "timeout"
                if self.fake._sleep(fault.seconds) or not fault.execute:
                    return  # stopped, or "lost" before reaching Stripe
            status, body, stored = self._execute(method, path, record.params, ctx)
            headers = {"Request-Id": ctx.request_id or ""}
            if key:
                headers["Idempotency-Key"] = key
                if stored:
                    self.fake._store_key(
                        scope, Stored(method, path, record.params, status, body, headers)
                    )
        finally:
            if key:
                self.fake._release_key(scope)
        after_response = self.fake.webhooks.mode == "after_response"
        if not after_response:  # queued events are visible as soon as the caller has its answer
            self.fake.webhooks.send_now(ctx.events)
        if fault and fault.after_commit:
            record.injected = "timeout"
            if self.fake._sleep(fault.seconds):
                return
        self._finish(record, status, body, headers)
        if after_response:
            self.fake.webhooks.send_now(ctx.events)

    def _execute(self, method: str, path: str, data: dict[str, Any], ctx: Context):
        """-> (status, body, whether an idempotency key should remember the result)."""
        for route_method, pattern, operation in ROUTES:
            match = pattern.match(path)
            if route_method != method or not match:
                continue
            params = Params(data)
            ids = [unquote(group) for group in match.groups()]
            state = self.fake.state
            with state.lock:
                saved = state.checkpoint()
                try:
                    obj = operation(state, ctx, params, *ids)
                    return 200, to_json(state.render(obj, params.expand())), True
                except StripeError as error:
                    # a decline is recorded (failed charge, events) and replayed like a success;
                    # any other error leaves no trace, as Stripe requests are atomic
                    if error.status != 402:
                        state.restore(saved)
                        ctx.events.clear()
                    return error.status, to_json(error.body()), error.status == 402
                except Exception:
                    logger.exception("fake stripe failed on %s %s", method, path)
                    state.restore(saved)
                    ctx.events.clear()
                    body = {"error": {"type": "api_error", "message": "Fake Stripe crashed"}}
                    return 500, to_json(body), False
        error = {
            "type": "invalid_request_error",
            "message": f"Unrecognized request URL ({method}: {path}). The fake Stripe server "
            "only implements what Fieldfriends uses; see tests/stripe_fake/README.md.",
        }
        return 404, to_json({"error": error}), False

    def _api_key(self) -> str | None:
        header = self.headers.get("Authorization") or ""
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "bearer":
            return value.strip()
        if scheme.lower() == "basic":
            try:
                return base64.b64decode(value).decode().partition(":")[0]
            except ValueError:
                return None
        return None

    def _authenticate(self) -> None:
        key = self._api_key()
        if not key:
            raise StripeError(
                401,
                "invalid_request_error",
                "You did not provide an API key. You need to provide your API key in the "
                "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer "
                "YOUR_SECRET_KEY').",
            )
        if key != self.fake.api_key:
            raise StripeError(
                401,
                "invalid_request_error",
                f"Invalid API Key provided: {key[:8]}{'*' * max(len(key) - 12, 0)}{key[-4:]}",
            )

    def _finish(self, record, status: int, body: bytes, headers: dict[str, str]) -> None:
        record.status = status
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Stripe-Version", self.headers.get("Stripe-Version") or API_VERSION)
            for name, value in headers.items():
                self.send_header(name, value)
            if record.replayed:
                self.send_header("Idempotent-Replayed", "true")
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()
        except OSError:  # the client gave up (timeouts) - nothing to tell it
            pass

    # -- pages a browser would visit (no API key) -----------------------------------------

    def _fake_page(self, path: str, query: dict[str, list[str]]) -> None:
        outcome = (query.get("outcome") or [""])[0]
        ctx = Context(base_url=self.fake.url)
        state = self.fake.state
        redirect: str | None = None
        found = True
        with state.lock:
            if match := re.match(r"^/_fake/connect/onboarding/([\w]+)$", path):
                found = match.group(1) in state.account_links
                redirect = connect.visit_account_link(
                    state, ctx, match.group(1), complete=outcome != "abandon"
                )
            elif match := re.match(r"^/_fake/authenticate/(pi_\w+)$", path):
                try:
                    payments.complete_action(
                        state, ctx, match.group(1), success=outcome != "failure"
                    )
                    redirect = state.return_urls.get(match.group(1))
                except StripeError:
                    found = False
            else:
                found = False
        self.fake.webhooks.send_now(ctx.events)
        status = 302 if redirect else (200 if found else 404)
        body = b"done\n" if found else b"not found\n"
        try:
            self.send_response(status)
            if redirect:
                self.send_header("Location", redirect)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass
