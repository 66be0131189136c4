"""Card payments through the real `stripe` library against the local Stripe-compatible server
(tests/stripe_fake): Connect destination charges authorised at booking and captured on
confirmation, declines, 3-D Secure, idempotency, refunds, signed webhooks (replays, out of
order), and provider faults that never leave job and payment disagreeing."""

import pytest
from django.test import Client

from marketplace.core.errors import InvalidTransition, NotAllowed, ValidationFailed
from marketplace.helpers.models import HelperProfile
from marketplace.jobs.models import JobEvent, JobStatus
from marketplace.jobs.services import (
    job_accept,
    job_cancel,
    job_check_in,
    job_complete,
    job_confirm,
    job_post,
)
from marketplace.payments import ledger
from marketplace.payments.models import (
    Payment,
    PaymentStatus,
    PayoutAccount,
    ProviderCall,
    WebhookEvent,
)
from marketplace.payments.onboarding import onboarding_link
from marketplace.payments.reconcile import provider_calls_retry_due
from marketplace.payments.selectors import unbalanced_jobs
from marketplace.payments.services import PaymentPending, payment_pay, payment_refund
from tests.factories import job_at
from tests.stripe_fake import start_fake_stripe

pytestmark = pytest.mark.django_db

ZURICH = "Bahnhofstrasse 1, 8001 Zürich"
SECRET = "whsec_test_fake"


@pytest.fixture
def fake(settings):
    web = Client()

    def to_app(body: bytes, headers: dict) -> int:
        response = web.post(
            "/payments/stripe/webhook/",
            data=body,
            content_type="application/json",
            headers={"Stripe-Signature": headers["Stripe-Signature"]},
        )
        return response.status_code

    server = start_fake_stripe(webhook_url=to_app, webhook_secret=SECRET)
    settings.PAYMENTS_PROVIDER = "stripe"
    settings.STRIPE_SECRET_KEY = server.api_key
    settings.STRIPE_WEBHOOK_SECRET = SECRET
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_fake"
    settings.STRIPE_API_BASE = server.url
    settings.STRIPE_TIMEOUT_SECONDS = 1
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    yield server
    server.stop()


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    def run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return run


@pytest.fixture
def bob_ready(fake, bob):
    """Bob has finished Stripe Connect onboarding."""
    url, ready = onboarding_link(helper=bob)
    assert url.startswith(fake.url) and ready is False
    account = PayoutAccount.objects.get(helper=bob)
    fake.complete_onboarding(account.provider_account_id)
    fake.deliver_pending()  # account.updated → mirrored on the profile
    assert HelperProfile.objects.get(user=bob).payouts_ready
    return bob


@pytest.fixture
def booked(alice, bob_ready, router_wifi):
    return job_at(
        JobStatus.ACCEPTED,
        customer=alice,
        helper=bob_ready,
        category=router_wifi,
        description="Set up my router",
        address=ZURICH,
    )


def pay(job, alice, card="pm_card_visa"):
    return payment_pay(job=job, customer=alice, payment_method=card)


def test_helpers_without_a_ready_payout_account_are_not_offered_card_jobs(
    fake, alice, bob, router_wifi
):
    job = job_post(
        customer=alice, category=router_wifi, description="Set up my router", address=ZURICH
    )
    assert not job.offers.filter(helper=bob).exists()
    with pytest.raises(NotAllowed, match="payout account"):
        job_accept(job=job, helper=bob)


def test_booking_waits_for_the_customer_and_paying_authorises_a_destination_charge(
    fake, booked, alice, bob_ready
):
    assert booked.payment.status == PaymentStatus.PENDING
    with pytest.raises(InvalidTransition, match="not paid"):
        job_check_in(job=booked, helper=bob_ready)

    payment = pay(booked, alice)

    assert payment.status == PaymentStatus.AUTHORISED
    intent = fake.get(payment.provider_ref)
    assert intent["capture_method"] == "manual"
    assert intent["amount"] == 6_000 and intent["currency"] == "chf"
    assert intent["application_fee_amount"] == 1_200
    account = PayoutAccount.objects.get(helper=bob_ready)
    assert intent["transfer_data"]["destination"] == account.provider_account_id
    assert ledger.balances(job_id=booked.pk)["hold"] == 6_000


def test_a_double_click_on_pay_creates_one_intent(fake, booked, alice):
    first = pay(booked, alice)
    second = pay(booked, alice)
    assert first.provider_ref == second.provider_ref
    assert len(fake.requests_to("/v1/payment_intents")) == 1


def test_a_declined_card_fails_cleanly_and_another_card_can_be_tried(fake, booked, alice):
    payment = pay(booked, alice, card="pm_card_chargeCustomerFail")
    assert payment.status == PaymentStatus.FAILED
    assert payment.failure_message
    assert ledger.balances(job_id=booked.pk)["hold"] == 0

    payment = pay(booked, alice, card="pm_card_visa")
    assert (payment.status, payment.attempt) == (PaymentStatus.AUTHORISED, 2)
    keys = [r.idempotency_key for r in fake.requests_to("/v1/payment_intents")]
    assert keys == [f"job-{booked.pk}-authorise-1", f"job-{booked.pk}-authorise-2"]


def test_three_d_secure_waits_for_the_bank_then_the_webhook_authorises(fake, booked, alice):
    payment = pay(booked, alice, card="pm_card_authenticationRequired")
    assert payment.status == PaymentStatus.REQUIRES_ACTION
    assert payment.client_secret

    fake.complete_action(payment.provider_ref, success=True)
    fake.deliver_pending()

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.AUTHORISED
    assert ledger.balances(job_id=booked.pk)["hold"] == 6_000


def test_confirmation_captures_and_the_money_is_split(
    fake, booked, alice, bob_ready, run_on_commit
):
    payment = pay(booked, alice)
    job = job_complete(job=job_check_in(job=booked, helper=bob_ready), helper=bob_ready)
    run_on_commit(job_confirm, job=job, actor=alice)

    payment.refresh_from_db()
    assert (payment.status, payment.amount_captured) == (PaymentStatus.CAPTURED, 6_000)
    assert fake.get(payment.provider_ref)["status"] == "succeeded"
    assert ledger.balances(job_id=job.pk) == {
        "customer": -6_000,
        "hold": 0,
        "platform": 1_200,
        "helper": 4_800,
    }
    fake.deliver_pending(repeat=2)  # every event, twice: nothing moves again
    assert ledger.balances(job_id=job.pk)["platform"] == 1_200
    assert list(unbalanced_jobs()) == []


def test_free_cancellation_cancels_the_intent(fake, booked, alice, run_on_commit):
    payment = pay(booked, alice)
    run_on_commit(job_cancel, job=booked, actor=alice, reason="Fixed it myself")
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CANCELLED
    assert fake.get(payment.provider_ref)["status"] == "canceled"
    assert ledger.balances(job_id=booked.pk)["customer"] == 0


def test_refunds_reverse_the_transfer_and_refuse_too_much(
    fake, booked, alice, bob_ready, olga, run_on_commit
):
    pay(booked, alice)
    job = job_complete(job=job_check_in(job=booked, helper=bob_ready), helper=bob_ready)
    run_on_commit(job_confirm, job=job, actor=alice)
    payment = Payment.objects.get(job=job)

    payment = payment_refund(payment=payment, amount=2_500, actor=olga, reason="Half done")
    refund_call = fake.requests_to("/v1/refunds")[-1]
    assert refund_call.params["reverse_transfer"] in ("true", True)
    assert refund_call.params["refund_application_fee"] in ("true", True)
    assert payment.amount_refunded == 2_500
    with pytest.raises(ValidationFailed):
        payment_refund(payment=payment, amount=3_501, actor=olga, reason="Too much")
    assert list(unbalanced_jobs()) == []


# --- Webhooks ------------------------------------------------------------------------------


def test_webhooks_with_a_bad_signature_are_refused(fake, booked, alice):
    pay(booked, alice)
    event_id = fake.events[-1]["id"]
    delivery = fake.redeliver(event_id, secret="whsec_wrong")
    assert delivery.status == 400
    assert not WebhookEvent.objects.filter(event_id=event_id).exists()


def test_replayed_and_out_of_order_webhooks_change_nothing_twice(fake, booked, alice):
    payment = pay(booked, alice)
    fake.deliver_pending(reverse=True, repeat=2)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.AUTHORISED
    assert ledger.balances(job_id=booked.pk)["hold"] == 6_000
    ids = [e["id"] for e in fake.events]
    assert WebhookEvent.objects.filter(event_id__in=ids).count() == len(set(ids))


def test_a_dispute_is_recorded_on_the_job(fake, booked, alice, bob_ready, run_on_commit):
    payment = pay(booked, alice)
    job = job_complete(job=job_check_in(job=booked, helper=bob_ready), helper=bob_ready)
    run_on_commit(job_confirm, job=job, actor=alice)
    fake.create_dispute(payment.provider_ref)
    fake.deliver_pending()
    assert JobEvent.objects.filter(job=job, kind="payment_disputed").exists()


# --- Faults --------------------------------------------------------------------------------


def test_a_timeout_after_stripe_acted_is_retried_with_the_same_key_and_charges_once(
    fake, booked, alice
):
    fake.timeout_next("/v1/payment_intents", after_commit=True, seconds=2)
    with pytest.raises(PaymentPending):
        pay(booked, alice)
    payment = Payment.objects.get(job=booked)
    assert payment.status == PaymentStatus.PENDING  # we do not know yet: nothing pretended
    call = ProviderCall.objects.get(payment=payment, action="authorise")
    assert call.status == "pending"

    ProviderCall.objects.filter(pk=call.pk).update(created_at=call.created_at.replace(year=2000))
    assert provider_calls_retry_due() == 1

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.AUTHORISED
    intents = [o for o in fake.state.objects.values() if o.get("object") == "payment_intent"]
    assert len(intents) == 1
    keys = {r.idempotency_key for r in fake.requests_to("/v1/payment_intents")}
    assert keys == {f"job-{booked.pk}-authorise-1"}


def test_a_server_error_leaves_the_job_untouched_and_the_call_pending(
    fake, booked, alice, bob_ready, run_on_commit
):
    pay(booked, alice)
    job = job_complete(job=job_check_in(job=booked, helper=bob_ready), helper=bob_ready)
    fake.fail_next("/v1/payment_intents", status=500)
    job = run_on_commit(job_confirm, job=job, actor=alice)
    assert job.status == "confirmed"
    payment = Payment.objects.get(job=job)
    assert payment.status == PaymentStatus.AUTHORISED
    call = ProviderCall.objects.get(payment=payment, action="capture")
    assert (call.status, call.attempts) == ("pending", 1)

    ProviderCall.objects.filter(pk=call.pk).update(created_at=call.created_at.replace(year=2000))
    provider_calls_retry_due()
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CAPTURED
    assert list(unbalanced_jobs()) == []


# --- Web flow and the authorisation deadline -----------------------------------------------


def test_the_web_flow_loads_elements_and_posts_the_payment_method(fake, client, booked, alice):
    client.force_login(alice)
    page = client.get(f"/customer/jobs/{booked.pk}/")
    assert "https://js.stripe.com/v3/" in page.text
    assert 'data-stripe-key="pk_test_fake"' in page.text

    resp = client.post(
        f"/customer/jobs/{booked.pk}/pay/", {"payment_method": "pm_card_visa"}, follow=True
    )
    assert "Payment authorised" in resp.text
    assert Payment.objects.get(job=booked).status == PaymentStatus.AUTHORISED


def test_a_declined_card_on_the_web_shows_the_banks_message(fake, client, booked, alice):
    client.force_login(alice)
    resp = client.post(
        f"/customer/jobs/{booked.pk}/pay/",
        {"payment_method": "pm_card_chargeCustomerFail"},
        follow=True,
    )
    assert "The card was declined" in resp.text
    assert 'id="pay-form"' in resp.text  # the customer can try another card


def test_authorisations_about_to_lapse_are_captured_or_released(
    fake, booked, alice, bob_ready, settings
):
    from datetime import timedelta

    from django.utils import timezone

    from marketplace.payments.reconcile import authorisations_expiring

    payment = pay(booked, alice)
    later = timezone.now() + timedelta(days=settings.PAYMENT_AUTHORISATION_DAYS - 0.5)
    assert authorisations_expiring(now=later) == 1

    payment.refresh_from_db()
    # Not done yet: the hold is released and a new authorisation will be asked for.
    assert (payment.status, payment.attempt) == (PaymentStatus.PENDING, 2)
    assert fake.get(payment.provider_ref)["status"] == "canceled"
    assert ledger.balances(job_id=booked.pk)["hold"] == 0
    payment = pay(booked, alice)
    assert payment.status == PaymentStatus.AUTHORISED
    assert ledger.balances(job_id=booked.pk)["hold"] == 6_000


# --- Idempotency at the gateway, refunds before events ---------------------------------------


def test_the_same_key_with_another_amount_is_refused_and_charges_nothing(fake, booked, alice):
    from marketplace.payments.models import ProviderCall

    pay(booked, alice, card="pm_card_chargeCustomerFail")  # attempt 1 declined
    # A stale pending call for attempt 2 with another amount (e.g. written before a price fix).
    payment = Payment.objects.get(job=booked)
    ProviderCall.objects.create(
        payment=payment,
        action="authorise",
        idempotency_key=f"job-{booked.pk}-authorise-2",
        params={"payment_method": "pm_card_visa", "amount": 5_000},
    )
    with pytest.raises(InvalidTransition, match="different payment"):
        pay(booked, alice)
    intents = [o for o in fake.state.objects.values() if o.get("object") == "payment_intent"]
    assert all(i["status"] != "requires_capture" for i in intents)


def test_stripe_itself_refuses_a_reused_key_with_other_parameters(fake):
    from marketplace.payments import gateway

    first = gateway.create_customer(email="a@example.com", name="A", key="same-key")
    again = gateway.create_customer(email="a@example.com", name="A", key="same-key")
    assert first == again  # replayed, one customer
    with pytest.raises(gateway.Rejected, match="Idempotency"):
        gateway.create_customer(email="b@example.com", name="B", key="same-key")


def test_a_refund_before_the_success_event_arrives_is_not_undone(
    fake, booked, alice, bob_ready, olga, run_on_commit
):
    pay(booked, alice)
    job = job_complete(job=job_check_in(job=booked, helper=bob_ready), helper=bob_ready)
    run_on_commit(job_confirm, job=job, actor=alice)
    payment = Payment.objects.get(job=job)
    payment_refund(payment=payment, amount=1_000, actor=olga, reason="Late")
    fake.deliver_pending(reverse=True)  # succeeded, refunded … in any order, after the refund
    payment.refresh_from_db()
    assert (payment.status, payment.amount_refunded) == (PaymentStatus.CAPTURED, 1_000)
    assert ledger.balances(job_id=job.pk)["customer"] == -5_000
    assert list(unbalanced_jobs()) == []
