"""The fake Stripe server, exercised through the real `stripe` library over HTTP."""

import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
import stripe

from tests.stripe_fake import FakeStripe, start_fake_stripe

SECRET = "whsec_test_fake"


@pytest.fixture
def fake():
    server = start_fake_stripe(webhook_secret=SECRET)
    yield server
    server.stop()


def make_client(fake: FakeStripe, *, retries: int = 0, timeout: float = 5.0):
    return stripe.StripeClient(
        api_key="sk_test_fake",
        base_addresses={"api": fake.url, "connect": fake.url, "files": fake.url},
        max_network_retries=retries,
        http_client=stripe.RequestsClient(timeout=timeout),
    )


@pytest.fixture
def client(fake):
    return make_client(fake)


@pytest.fixture
def helper_account(fake, client):
    """An onboarded Express account, ready to receive destination charges."""
    account = client.v1.accounts.create(
        params={
            "type": "express",
            "country": "CH",
            "email": "bob@example.com",
            "capabilities": {
                "card_payments": {"requested": True},
                "transfers": {"requested": True},
            },
        }
    )
    fake.complete_onboarding(account.id)
    return account.id


def authorize(client, account_id, *, amount=10000, fee=2000, card="pm_card_visa", **extra):
    return client.v1.payment_intents.create(
        params={
            "amount": amount,
            "currency": "chf",
            "payment_method": card,
            "confirm": True,
            "capture_method": "manual",
            "application_fee_amount": fee,
            "transfer_data": {"destination": account_id},
            "metadata": {"job_id": "42"},
            **extra,
        }
    )


def count(fake: FakeStripe, object_name: str) -> int:
    with fake.state.lock:
        return sum(1 for obj in fake.state.objects.values() if obj["object"] == object_name)


class Receiver:
    """A webhook endpoint on another port, recording raw bodies and signature headers."""

    def __init__(self):
        received = self.received = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append((body, self.headers["Stripe-Signature"]))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/webhooks/stripe"
        serve = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        serve.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    endpoint = Receiver()
    yield endpoint
    endpoint.stop()


# -- customers, auth, parameters ---------------------------------------------------------------


def test_it_creates_and_finds_a_customer(client):
    customer = client.v1.customers.create(
        params={"email": "alice@example.com", "name": "Alice", "metadata": {"user_id": "7"}}
    )

    assert customer.id.startswith("cus_")
    assert customer.livemode is False
    assert client.v1.customers.retrieve(customer.id).metadata.user_id == "7"
    found = client.v1.customers.list(params={"email": "alice@example.com"})
    assert [c.id for c in found.data] == [customer.id]


def test_it_rejects_a_wrong_or_missing_api_key(fake):
    wrong = stripe.StripeClient(api_key="sk_test_wrong", base_addresses=fake.base_addresses)
    with pytest.raises(stripe.AuthenticationError):
        wrong.v1.customers.create(params={"email": "x@example.com"})

    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(f"{fake.url}/v1/customers")
    assert raised.value.code == 401
    assert b'"invalid_request_error"' in raised.value.read()


def test_it_rejects_unknown_parameters_and_unknown_ids(client):
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.customers.create(params={"emial": "typo@example.com"})  # type: ignore[typeddict-unknown-key]
    assert raised.value.code == "parameter_unknown"
    assert raised.value.param == "emial"

    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.payment_intents.retrieve("pi_doesnotexist")
    assert missing.value.http_status == 404
    assert missing.value.code == "resource_missing"


# -- payment intents ---------------------------------------------------------------------------


def test_it_authorizes_then_partially_captures_a_destination_charge(fake, client, helper_account):
    intent = authorize(client, helper_account, expand=["latest_charge"])

    assert intent.id.startswith("pi_")
    assert intent.status == "requires_capture"
    assert intent.amount_capturable == 10000
    assert intent.amount_received == 0
    assert intent.client_secret.startswith(f"{intent.id}_secret_")
    assert intent.transfer_data.destination == helper_account
    assert intent.latest_charge.id.startswith("ch_")
    assert intent.latest_charge.captured is False

    captured = client.v1.payment_intents.capture(
        intent.id, params={"amount_to_capture": 6000, "application_fee_amount": 1200}
    )

    assert captured.status == "succeeded"
    assert captured.amount_received == 6000
    assert captured.amount_capturable == 0
    charge = client.v1.payment_intents.retrieve(
        intent.id, params={"expand": ["latest_charge"]}
    ).latest_charge
    assert charge.amount_captured == 6000
    transfer = client.v1.transfers.retrieve(charge.transfer)
    assert (transfer.amount, transfer.destination) == (4800, helper_account)
    types = [event["type"] for event in fake.events]
    assert "payment_intent.amount_capturable_updated" in types
    assert types[-1] == "payment_intent.succeeded"


def test_it_refuses_to_capture_more_than_authorized(client, helper_account):
    intent = authorize(client, helper_account)

    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.payment_intents.capture(intent.id, params={"amount_to_capture": 10001})
    assert raised.value.param == "amount_to_capture"


def test_it_cancels_an_authorization(fake, client, helper_account):
    intent = authorize(client, helper_account)

    canceled = client.v1.payment_intents.cancel(
        intent.id, params={"cancellation_reason": "requested_by_customer"}
    )

    assert canceled.status == "canceled"
    assert canceled.cancellation_reason == "requested_by_customer"
    assert canceled.amount_capturable == 0
    assert fake.events_of("payment_intent.canceled")[0]["data"]["object"]["id"] == intent.id
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.payment_intents.capture(intent.id)
    assert raised.value.code == "payment_intent_unexpected_state"


def test_it_updates_the_amount_only_before_authorization(client, helper_account):
    intent = client.v1.payment_intents.create(
        params={"amount": 5000, "currency": "chf", "capture_method": "manual"}
    )
    assert client.v1.payment_intents.update(intent.id, params={"amount": 4000}).amount == 4000

    authorized = authorize(client, helper_account)
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.payment_intents.update(authorized.id, params={"amount": 4000})


@pytest.mark.parametrize(
    ("card", "decline_code"),
    [
        ("pm_card_visa_chargeDeclined", "generic_decline"),
        ("pm_card_chargeDeclinedInsufficientFunds", "insufficient_funds"),
    ],
)
def test_it_declines_test_cards(fake, client, helper_account, card, decline_code):
    with pytest.raises(stripe.CardError) as raised:
        authorize(client, helper_account, card=card)

    error = raised.value
    assert error.http_status == 402
    assert error.code == "card_declined"
    assert error.error.decline_code == decline_code
    intent = client.v1.payment_intents.retrieve(error.error.payment_intent.id)
    assert intent.status == "requires_payment_method"
    assert intent.last_payment_error.decline_code == decline_code
    assert fake.events_of("payment_intent.payment_failed")


def test_it_declines_a_declining_card_when_attaching_it(client):
    customer = client.v1.customers.create(params={"email": "alice@example.com"})

    assert client.v1.payment_methods.attach(
        "pm_card_visa", params={"customer": customer.id}
    ).id.startswith("pm_")
    with pytest.raises(stripe.CardError):
        client.v1.payment_methods.attach("pm_card_chargeDeclined", params={"customer": customer.id})


def test_it_requires_authentication_then_completes_it(fake, client, helper_account):
    intent = authorize(client, helper_account, card="pm_card_authenticationRequired")

    assert intent.status == "requires_action"
    assert intent.next_action.type == "use_stripe_sdk"
    fake.complete_action(intent.id)
    assert client.v1.payment_intents.retrieve(intent.id).status == "requires_capture"

    with pytest.raises(stripe.CardError) as raised:
        authorize(client, helper_account, card="pm_card_threeDSecure2Required", off_session=True)
    assert raised.value.code == "authentication_required"


def test_it_completes_authentication_through_the_redirect_url(client, helper_account):
    intent = authorize(
        client,
        helper_account,
        card="pm_card_threeDSecure2Required",
        return_url="https://fieldfriends.test/pay/done",
    )

    page = requests.get(intent.next_action.redirect_to_url.url, allow_redirects=False, timeout=5)

    assert page.status_code == 302
    assert page.headers["Location"] == "https://fieldfriends.test/pay/done"
    assert client.v1.payment_intents.retrieve(intent.id).status == "requires_capture"


def test_an_expired_authorization_is_canceled_automatically(fake, client, helper_account):
    intent = authorize(client, helper_account)

    fake.expire_authorization(intent.id)

    expired = client.v1.payment_intents.retrieve(intent.id)
    assert (expired.status, expired.cancellation_reason) == ("canceled", "automatic")


# -- refunds and disputes ----------------------------------------------------------------------


def test_it_refunds_partially_then_fully_and_rejects_over_refunds(fake, client, helper_account):
    intent = authorize(client, helper_account)
    client.v1.payment_intents.capture(intent.id)

    partial = client.v1.refunds.create(
        params={
            "payment_intent": intent.id,
            "amount": 5000,
            "reverse_transfer": True,
            "refund_application_fee": True,
            "metadata": {"reason": "no-show"},
        }
    )
    assert partial.id.startswith("re_")
    assert partial.status == "succeeded"
    assert fake.get(partial.transfer_reversal)["amount"] == 4000  # half of the 8000 transfer

    with pytest.raises(stripe.InvalidRequestError) as too_much:
        client.v1.refunds.create(params={"payment_intent": intent.id, "amount": 5001})
    assert (too_much.value.http_status, too_much.value.code) == (400, "amount_too_large")

    rest = client.v1.refunds.create(params={"payment_intent": intent.id, "reverse_transfer": True})
    assert rest.amount == 5000
    charge = client.v1.charges.retrieve(intent.latest_charge)
    assert charge.refunded is True
    assert client.v1.transfers.retrieve(charge.transfer).reversed is True
    assert client.v1.refunds.retrieve(rest.id).amount == 5000
    assert len(fake.events_of("charge.refunded")) == 2

    with pytest.raises(stripe.InvalidRequestError) as again:
        client.v1.refunds.create(params={"payment_intent": intent.id})
    assert again.value.code == "charge_already_refunded"


def test_it_opens_a_dispute(fake, client, helper_account):
    intent = authorize(client, helper_account)
    client.v1.payment_intents.capture(intent.id)

    dispute = fake.create_dispute(intent.id)

    event = fake.events_of("charge.dispute.created")[0]
    assert event["data"]["object"]["id"] == dispute["id"]
    assert event["data"]["object"]["payment_intent"] == intent.id
    assert client.v1.charges.retrieve(intent.latest_charge).disputed is True


# -- idempotency -------------------------------------------------------------------------------


def test_it_replays_a_request_with_the_same_idempotency_key(fake, client, helper_account):
    first = authorize(client, helper_account, metadata={"job_id": "1"})
    key = fake.requests_to("/v1/payment_intents")[-1].idempotency_key
    options = {"idempotency_key": "job-1-authorize"}
    params = {"amount": 5000, "currency": "chf", "payment_method": "pm_card_visa", "confirm": True}

    one = client.v1.payment_intents.create(params=params, options=options)
    two = client.v1.payment_intents.create(params=params, options=options)

    assert key  # the library sends a key on every POST by itself
    assert one.id == two.id != first.id
    assert two.last_response.headers["Idempotent-Replayed"] == "true"
    assert count(fake, "payment_intent") == 2


def test_it_rejects_a_reused_key_with_different_parameters(fake, client):
    options = {"idempotency_key": "job-2-authorize"}
    client.v1.payment_intents.create(params={"amount": 5000, "currency": "chf"}, options=options)

    with pytest.raises(stripe.IdempotencyError) as raised:
        client.v1.payment_intents.create(
            params={"amount": 6000, "currency": "chf"}, options=options
        )
    assert raised.value.http_status == 400
    with pytest.raises(stripe.IdempotencyError):
        client.v1.customers.create(params={}, options=options)
    assert count(fake, "payment_intent") == 1


def test_it_replays_a_decline(fake, client, helper_account):
    options = {"idempotency_key": "job-3-authorize"}
    params = {"amount": 5000, "currency": "chf", "payment_method": "pm_card_visa_chargeDeclined"}

    for _ in range(2):
        with pytest.raises(stripe.CardError):
            client.v1.payment_intents.create(params={**params, "confirm": True}, options=options)

    assert count(fake, "charge") == 1


# -- connect -----------------------------------------------------------------------------------


def test_onboarding_flips_the_account_flags_and_sends_account_updated(fake, client):
    account = client.v1.accounts.create(
        params={"type": "express", "country": "CH", "email": "bob@example.com"}
    )
    assert account.id.startswith("acct_")
    assert (account.charges_enabled, account.payouts_enabled, account.details_submitted) == (
        False,
        False,
        False,
    )
    link = client.v1.account_links.create(
        params={
            "account": account.id,
            "type": "account_onboarding",
            "refresh_url": "https://fieldfriends.test/helper/stripe/refresh",
            "return_url": "https://fieldfriends.test/helper/stripe/return",
        }
    )
    assert link.url.startswith(fake.url)
    assert link.expires_at > link.created

    page = requests.get(link.url, allow_redirects=False, timeout=5)

    assert page.headers["Location"] == "https://fieldfriends.test/helper/stripe/return"
    onboarded = client.v1.accounts.retrieve(account.id)
    assert (onboarded.charges_enabled, onboarded.payouts_enabled) == (True, True)
    event = fake.events_of("account.updated")[-1]
    assert event["data"]["previous_attributes"]["charges_enabled"] is False


def test_it_transfers_only_to_onboarded_accounts(fake, client):
    account = client.v1.accounts.create(
        params={"type": "express", "capabilities": {"transfers": {"requested": True}}}
    )
    params = {"amount": 1500, "currency": "chf", "destination": account.id}
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.transfers.create(params=params)
    assert raised.value.code == "insufficient_capabilities_for_transfer"

    fake.complete_onboarding(account.id)
    transfer = client.v1.transfers.create(params=params)

    assert transfer.id.startswith("tr_")
    assert client.v1.transfers.retrieve(transfer.id).amount == 1500


# -- webhooks ----------------------------------------------------------------------------------


def test_webhooks_are_signed_so_that_construct_event_accepts_them(
    fake, client, helper_account, receiver
):
    fake.webhook_url = receiver.url
    fake.webhook_mode = "before_response"

    intent = authorize(client, helper_account)

    events = [stripe.Webhook.construct_event(body, sig, SECRET) for body, sig in receiver.received]
    assert [event.type for event in events][-1] == "payment_intent.amount_capturable_updated"
    assert events[-1].data.object.id == intent.id
    assert events[-1].data.object.metadata.job_id == "42"
    body, signature = receiver.received[-1]
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(body, signature, "whsec_other")


def test_queued_webhooks_can_be_delivered_out_of_order_and_twice(fake, client, helper_account):
    seen = []
    fake.webhook_url = lambda body, headers: seen.append(body) or 200
    intent = authorize(client, helper_account)
    client.v1.payment_intents.capture(intent.id)
    queued = [event["id"] for event in fake.pending_events]
    assert seen == []

    deliveries = fake.deliver_pending(reverse=True, repeat=2)

    assert [d.event_id for d in deliveries] == queued[::-1] * 2
    assert all(d.ok for d in deliveries)
    assert fake.pending_events == []


def test_webhook_delivery_failures_do_not_break_the_server(fake, client, helper_account):
    fake.webhook_url = "http://127.0.0.1:9/nobody-listens"
    fake.webhook_mode = "after_response"

    authorize(client, helper_account)

    deliveries = fake.wait_for_deliveries(3)
    assert client.v1.accounts.retrieve(helper_account).charges_enabled is True
    assert not any(delivery.ok for delivery in deliveries)
    assert deliveries[0].error


# -- faults ------------------------------------------------------------------------------------


def test_an_injected_server_error_reaches_the_caller_without_retries(fake, client):
    fake.fail_next("/v1/payment_intents", status=500)

    with pytest.raises(stripe.APIError):
        client.v1.payment_intents.create(params={"amount": 5000, "currency": "chf"})
    assert count(fake, "payment_intent") == 0


def test_the_library_retries_a_server_error_with_the_same_key(fake):
    retrying = make_client(fake, retries=2)
    fake.fail_next("/v1/payment_intents", status=503)

    intent = retrying.v1.payment_intents.create(params={"amount": 5000, "currency": "chf"})

    attempts = fake.requests_to("/v1/payment_intents")
    assert [a.status for a in attempts] == [503, 200]
    assert attempts[0].idempotency_key == attempts[1].idempotency_key
    assert count(fake, "payment_intent") == 1
    assert intent.status == "requires_payment_method"


def test_a_timeout_after_commit_is_resolved_by_retrying_with_the_same_key(fake):
    impatient = make_client(fake, timeout=0.3)
    fake.timeout_next("/v1/payment_intents", after_commit=True, seconds=1.0)
    params = {"amount": 5000, "currency": "chf", "payment_method": "pm_card_visa", "confirm": True}
    options = {"idempotency_key": "job-4-authorize"}

    with pytest.raises(stripe.APIConnectionError):
        impatient.v1.payment_intents.create(params=params, options=options)
    assert count(fake, "payment_intent") == 1  # charged, although the caller saw a timeout

    again = impatient.v1.payment_intents.create(params=params, options=options)

    assert again.status == "succeeded"
    assert again.last_response.headers["Idempotent-Replayed"] == "true"
    assert count(fake, "payment_intent") == 1
    assert count(fake, "charge") == 1


def test_a_timeout_before_the_request_arrives_creates_nothing(fake):
    impatient = make_client(fake, timeout=0.3)
    fake.timeout_next("/v1/customers", after_commit=False, seconds=0.5, execute=False)

    with pytest.raises(stripe.APIConnectionError):
        impatient.v1.customers.create(params={"email": "alice@example.com"})

    assert count(fake, "customer") == 0


def test_the_library_retries_a_timeout_and_gets_the_committed_result(fake):
    retrying = fake.client(max_network_retries=1, timeout=0.3)
    fake.timeout_next("/v1/customers", after_commit=True, seconds=1.0)

    customer = retrying.v1.customers.create(params={"email": "alice@example.com"})

    attempts = fake.requests_to("/v1/customers")
    assert [a.replayed for a in attempts] == [False, True]
    assert attempts[0].idempotency_key == attempts[1].idempotency_key
    assert fake.state.objects.keys() >= {customer.id}
    assert count(fake, "customer") == 1
