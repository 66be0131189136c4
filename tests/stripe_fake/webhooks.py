"""Signed webhook delivery: immediate (before or after the API response) or queued for the test.

The payload is the event as pretty-printed JSON, signed exactly as Stripe signs it:
`Stripe-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<payload>" keyed by the secret>`.
A target is either a URL (POSTed with urllib) or a callable `(body: bytes, headers) -> status`,
which lets a Django test hand the request to `django.test.Client` in its own thread.
"""

import hashlib
import hmac
import json
import logging
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger(__name__)

Target = str | Callable[[bytes, dict[str, str]], int] | None
MODES = ("queued", "before_response", "after_response")


@dataclass(frozen=True)
class Delivery:
    event_id: str
    type: str
    status: int | None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def signature_header(payload: str, secret: str, timestamp: int | None = None) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


class WebhookDispatcher:
    def __init__(self, target: Target, secret: str, mode: str = "queued", timeout: float = 10.0):
        if mode not in MODES:
            raise ValueError(f"webhook mode must be one of {MODES}")
        self.target = target
        self.secret = secret
        self.mode = mode
        self.timeout = timeout
        self._lock = threading.Condition()
        self._pending: list[dict[str, Any]] = []
        self._deliveries: list[Delivery] = []

    @property
    def pending(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._pending)

    @property
    def deliveries(self) -> list[Delivery]:
        with self._lock:
            return list(self._deliveries)

    def queue(self, events: Iterable[dict[str, Any]]) -> None:
        with self._lock:
            self._pending.extend(events)

    def send_now(self, events: list[dict[str, Any]]) -> list[Delivery]:
        """Immediate modes; without a target the events wait in the queue instead."""
        if self.mode == "queued" or self.target is None:
            self.queue(events)
            return []
        return [self.deliver(event) for event in events]

    def deliver_pending(
        self, *, reverse: bool = False, repeat: int = 1, types: Iterable[str] | None = None
    ) -> list[Delivery]:
        wanted = set(types) if types is not None else None
        with self._lock:
            chosen = [e for e in self._pending if wanted is None or e["type"] in wanted]
            taken = {id(e) for e in chosen}
            self._pending = [e for e in self._pending if id(e) not in taken]
        if reverse:
            chosen.reverse()
        return [self.deliver(event) for _ in range(repeat) for event in chosen]

    def deliver(
        self,
        event: dict[str, Any],
        *,
        secret: str | None = None,
        timestamp: int | None = None,
        signature: str | None = None,
    ) -> Delivery:
        """POST one event; failures are recorded, never raised (Stripe would just retry)."""
        payload = json.dumps(event, indent=2)
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
            "Stripe-Signature": signature
            or signature_header(payload, secret or self.secret, timestamp),
        }
        try:
            status = self._post(payload.encode(), headers)
            delivery = Delivery(event["id"], event["type"], status)
        except Exception as exc:  # a broken receiver must not break the fake
            logger.warning("webhook %s (%s) failed: %r", event["id"], event["type"], exc)
            delivery = Delivery(event["id"], event["type"], None, repr(exc))
        with self._lock:
            self._deliveries.append(delivery)
            self._lock.notify_all()
        return delivery

    def wait_for_deliveries(self, count: int, timeout: float = 5.0) -> list[Delivery]:
        """For `after_response` mode: block until `count` deliveries were attempted."""
        with self._lock:
            if not self._lock.wait_for(lambda: len(self._deliveries) >= count, timeout):
                raise TimeoutError(f"{len(self._deliveries)} of {count} webhook deliveries")
            return list(self._deliveries)

    def _post(self, body: bytes, headers: dict[str, str]) -> int:
        target = self.target
        if target is None:
            raise RuntimeError("no webhook target configured")
        if callable(target):
            return int(target(body, headers))
        request = urllib.request.Request(target, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code
