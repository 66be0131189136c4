"""The gateway against Stripe's real test mode, when a key and the network are there:
`STRIPE_TEST_SECRET_KEY=sk_test_… pytest tests/payments/test_payments_stripe_live.py`.
Skipped otherwise (CI has no network); the same behaviour is covered against tests/stripe_fake
everywhere else."""

import os
import uuid

import pytest

from marketplace.payments import gateway

KEY = os.environ.get("STRIPE_TEST_SECRET_KEY", "")
pytestmark = pytest.mark.skipif(
    not KEY.startswith("sk_test_"), reason="needs STRIPE_TEST_SECRET_KEY=sk_test_… and network"
)


@pytest.fixture
def live(settings):
    settings.STRIPE_SECRET_KEY = KEY
    settings.STRIPE_API_BASE = ""
    settings.STRIPE_MAX_NETWORK_RETRIES = 2


def test_idempotent_replay_and_mismatch_on_real_stripe(live):
    key = f"fieldfriends-test-{uuid.uuid4()}"
    first = gateway.create_customer(email="a@example.com", name="A", key=key)
    assert gateway.create_customer(email="a@example.com", name="A", key=key) == first
    with pytest.raises(gateway.Rejected):
        gateway.create_customer(email="b@example.com", name="B", key=key)
