"""FakeStripe: the server's lifecycle, its knobs for tests, and the test-mode helpers."""

import copy
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http.server import ThreadingHTTPServer
from typing import Any

from . import connect, payments, refunds
from .handler import Handler, RequestRecord, Stored
from .params import StripeError, to_json
from .state import Context, State
from .webhooks import Delivery, Target, WebhookDispatcher


@dataclass
class Fault:
    kind: str  # "fail" | "timeout"
    path_prefix: str
    method: str | None
    remaining: int
    status: int = 500
    after_commit: bool = True
    seconds: float = 2.0
    execute: bool = True


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    fake: "FakeStripe"


class FakeStripe:
    """A running fake. Use `.url` as every `base_addresses` entry; call `.stop()` when done."""

    def __init__(
        self,
        *,
        webhook_url: Target = None,
        webhook_secret: str = "whsec_test_fake",
        api_key: str = "sk_test_fake",
        webhook_mode: str = "queued",
    ):
        self.api_key = api_key
        self.state = State()
        self.webhooks = WebhookDispatcher(webhook_url, webhook_secret, webhook_mode)
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._requests: list[RequestRecord] = []
        self._keys: dict[tuple, Stored] = {}
        self._in_flight: set[tuple] = set()
        self._stopping = threading.Event()
        self._server = _Server(("127.0.0.1", 0), Handler)
        self._server.fake = self
        self.port: int = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},  # shutdown() waits up to one poll
            name=f"fake-stripe-{self.port}",
            daemon=True,
        )
        self._thread.start()

    # -- lifecycle -----------------------------------------------------------------------------

    def stop(self) -> None:
        self._stopping.set()  # wakes handlers sleeping in an injected timeout
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> "FakeStripe":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_addresses(self) -> dict[str, str]:
        return {"api": self.url, "connect": self.url, "files": self.url}

    def client(self, *, max_network_retries: int = 0, timeout: float = 5.0, api_key=None):
        """A real `stripe.StripeClient` pointed at this server."""
        import stripe

        return stripe.StripeClient(
            api_key or self.api_key,
            base_addresses=self.base_addresses,  # type: ignore[arg-type]
            max_network_retries=max_network_retries,
            http_client=stripe.RequestsClient(timeout=timeout),
        )

    # -- webhooks ------------------------------------------------------------------------------

    @property
    def webhook_url(self) -> Target:
        return self.webhooks.target

    @webhook_url.setter
    def webhook_url(self, target: Target) -> None:
        self.webhooks.target = target

    @property
    def webhook_mode(self) -> str:
        return self.webhooks.mode

    @webhook_mode.setter
    def webhook_mode(self, mode: str) -> None:
        if mode not in ("queued", "before_response", "after_response"):
            raise ValueError(mode)
        self.webhooks.mode = mode

    @property
    def events(self) -> list[dict[str, Any]]:
        """Every event emitted so far, oldest first (deep copies)."""
        with self.state.lock:
            return copy.deepcopy(self.state.events)

    def events_of(self, type_: str) -> list[dict[str, Any]]:
        return [event for event in self.events if event["type"] == type_]

    @property
    def pending_events(self) -> list[dict[str, Any]]:
        return self.webhooks.pending

    @property
    def deliveries(self) -> list[Delivery]:
        return self.webhooks.deliveries

    def wait_for_deliveries(self, count: int, timeout: float = 5.0) -> list[Delivery]:
        """In `after_response` mode events arrive just after the API answer: wait for them."""
        return self.webhooks.wait_for_deliveries(count, timeout)

    def deliver_pending(
        self, *, reverse: bool = False, repeat: int = 1, types: Iterable[str] | None = None
    ) -> list[Delivery]:
        """Send queued events; `reverse` for out-of-order, `repeat=2` for replays."""
        return self.webhooks.deliver_pending(reverse=reverse, repeat=repeat, types=types)

    def redeliver(
        self,
        event_id: str,
        *,
        secret: str | None = None,
        timestamp: int | None = None,
        signature: str | None = None,
    ) -> Delivery:
        """Send an already emitted event again, optionally badly signed or stale."""
        event = self.state.snapshot(event_id)
        return self.webhooks.deliver(event, secret=secret, timestamp=timestamp, signature=signature)

    # -- faults and the request log ------------------------------------------------------------

    def fail_next(
        self, path_prefix: str, status: int = 500, times: int = 1, method: str | None = None
    ) -> None:
        """Answer the next matching request(s) with `status` without executing them."""
        with self._lock:
            self._faults.append(Fault("fail", path_prefix, method, times, status=status))

    def timeout_next(
        self,
        path_prefix: str,
        *,
        after_commit: bool = True,
        seconds: float = 2.0,
        times: int = 1,
        method: str | None = None,
        execute: bool = True,
    ) -> None:
        """Stall `seconds` after the operation ran (it happened) or before it runs (it runs
        late, or never with `execute=False`). Use a client timeout shorter than `seconds`."""
        with self._lock:
            self._faults.append(
                Fault(
                    "timeout",
                    path_prefix,
                    method,
                    times,
                    after_commit=after_commit,
                    seconds=seconds,
                    execute=execute,
                )
            )

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    @property
    def requests(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._requests)

    def requests_to(self, path_prefix: str, method: str | None = "POST") -> list[RequestRecord]:
        return [
            record
            for record in self.requests
            if record.path.startswith(path_prefix) and method in (None, record.method)
        ]

    def get(self, object_id: str) -> dict[str, Any]:
        """The stored object as it is now (deep copy), bypassing the API."""
        return self.state.snapshot(object_id)

    # -- test-mode helpers (what a human or the card network would do) -------------------------

    def complete_onboarding(self, account_id: str) -> dict[str, Any]:
        return self._helper(connect.complete_onboarding, account_id)

    def update_account(self, account_id: str, **fields: Any) -> dict[str, Any]:
        return self._helper(connect.update_account, account_id, fields)

    def complete_action(self, payment_intent_id: str, *, success: bool = True) -> dict[str, Any]:
        """Pass (or fail) the 3D Secure challenge of a `requires_action` intent."""
        return self._helper(payments.complete_action, payment_intent_id, success=success)

    def expire_authorization(self, payment_intent_id: str) -> dict[str, Any]:
        """The 7-day authorisation window ran out: canceled with reason `automatic`."""
        return self._helper(payments.expire_authorization, payment_intent_id)

    def create_dispute(
        self, payment_intent_id: str, *, reason: str = "fraudulent", amount: int | None = None
    ) -> dict[str, Any]:
        return self._helper(refunds.create_dispute, payment_intent_id, reason=reason, amount=amount)

    def _helper(self, operation: Callable[..., dict[str, Any]], *args: Any, **kwargs: Any):
        ctx = Context(base_url=self.url)
        with self.state.lock:
            result = copy.deepcopy(operation(self.state, ctx, *args, **kwargs))
        self.webhooks.send_now(ctx.events)
        return result

    # -- used by the handler -------------------------------------------------------------------

    def _take_fault(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if path.startswith(fault.path_prefix) and fault.method in (None, method):
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def _claim_key(self, scope: tuple, method: str, path: str, params: dict[str, Any]):
        """A stored result to replay, None to go ahead; raises-as-response on misuse."""
        with self._lock:
            stored = self._keys.get(scope)
            if stored is None:
                if scope in self._in_flight:
                    return _key_in_use(scope[2])
                self._in_flight.add(scope)
                return None
        if (stored.method, stored.path) != (method, path):
            return _key_error(
                f"Keys for idempotent requests can only be used for the same endpoint they were "
                f"first used for ('{stored.method} {stored.path}' vs '{method} {path}'). Try "
                f"using a key other than '{scope[2]}' if you meant to execute a different request."
            )
        if stored.params != params:
            return _key_error(
                "Keys for idempotent requests can only be used with the same parameters they "
                f"were first used with. Try using a key other than '{scope[2]}' if you meant "
                "to execute a different request."
            )
        return stored

    def _store_key(self, scope: tuple, stored: Stored) -> None:
        with self._lock:
            self._keys[scope] = stored

    def _release_key(self, scope: tuple) -> None:
        with self._lock:
            self._in_flight.discard(scope)

    def _log(self, record: RequestRecord) -> None:
        with self._lock:
            self._requests.append(record)

    def _sleep(self, seconds: float) -> bool:
        """True when the server is stopping."""
        return self._stopping.wait(seconds)


def _key_error(message: str) -> Stored:
    body = to_json(StripeError(400, "idempotency_error", message).body())
    return Stored("", "", {}, 400, body, replay=False)


def _key_in_use(key: str) -> Stored:
    error = StripeError(
        409,
        "invalid_request_error",
        "There is currently another in-progress request using this Idempotent Key (that "
        "probably means you submitted twice, and the other request is still going through): "
        f"{key}. Please try again later.",
        code="idempotency_key_in_use",
    )
    return Stored("", "", {}, 409, to_json(error.body()), replay=False)
