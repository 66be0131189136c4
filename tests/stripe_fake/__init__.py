"""A small Stripe-compatible HTTP server for the test suite (see README.md in this folder).

fake = start_fake_stripe(webhook_url=..., webhook_secret="whsec_test_fake")
client = stripe.StripeClient("sk_test_fake", base_addresses=fake.base_addresses)
...
fake.stop()
"""

from .handler import RequestRecord
from .params import StripeError
from .server import FakeStripe
from .state import TEST_CARDS
from .webhooks import Delivery, Target, signature_header


def start_fake_stripe(
    webhook_url: Target = None,
    webhook_secret: str = "whsec_test_fake",
    *,
    api_key: str = "sk_test_fake",
    webhook_mode: str = "queued",
) -> FakeStripe:
    """Start a fake on 127.0.0.1 with an ephemeral port, serving from a daemon thread.

    `webhook_url` is a URL or a callable `(body: bytes, headers: dict) -> status`;
    `webhook_mode` is "queued" (until `deliver_pending()`), "before_response" or
    "after_response" (delivered from the API request's thread).
    """
    return FakeStripe(
        webhook_url=webhook_url,
        webhook_secret=webhook_secret,
        api_key=api_key,
        webhook_mode=webhook_mode,
    )


__all__ = [
    "TEST_CARDS",
    "Delivery",
    "FakeStripe",
    "RequestRecord",
    "StripeError",
    "signature_header",
    "start_fake_stripe",
]
