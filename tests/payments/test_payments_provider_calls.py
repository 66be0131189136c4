"""Provider calls the ledger would refuse never reach the provider, and one bad call never
stops reconciliation (issue 21). Refunds are reserved under the payment's row lock; a call left
pending from before that (or by hand) is checked against the ledger before it is sent again;
each call is retried in isolation; operators see failed and waiting calls on the tasks page and
through the API; `payments_settle_stuck_calls` repairs what was stuck.

The concurrent versions of these races are in tests/payments/test_payments_races_postgres.py."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

import tests.payments.test_payments_bill_to_account as invoice_suite
from marketplace.core.errors import InvalidTransition, ValidationFailed
from marketplace.jobs.models import JobStatus
from marketplace.payments import gateway, ledger, providers, reconcile, services
from marketplace.payments.models import CallStatus, Payment, PaymentStatus, ProviderCall
from marketplace.payments.reconcile import ReconciliationIncomplete, provider_calls_retry_due
from marketplace.payments.selectors import unbalanced_jobs
from marketplace.payments.services import LedgerRefused, PaymentPending, payment_refund
from marketplace.payments.tasks import reconcile_payments
from tests.factories import job_at

pytestmark = pytest.mark.django_db

# The bill-to-account suite's fixtures, shared rather than copied.
accepted = invoice_suite.accepted
captured = invoice_suite.captured
run_on_commit = invoice_suite.run_on_commit

LATER = timedelta(minutes=5)  # past services.RETRY_AFTER


@pytest.fixture
def provider_refunds(monkeypatch):
    """Count the refunds that reach the provider; `outage` makes it not answer."""
    sent: list[tuple[int, str]] = []
    state = {"outage": False, "reject": False}
    real = providers.BillToAccount.refund

    def refund(self, payment, *, amount, key):
        if state["outage"]:
            raise gateway.Unavailable("The billing system did not answer")
        if state["reject"]:
            raise gateway.Rejected("The billing system refused the credit", "credit_refused")
        sent.append((amount, key))
        return real(self, payment, amount=amount, key=key)

    monkeypatch.setattr(providers.BillToAccount, "refund", refund)
    return sent, state


def legacy_refund_call(payment: Payment, *, amount: int, number: int) -> ProviderCall:
    """A refund call as the code before reservations wrote it, left pending by a crash."""
    return ProviderCall.objects.create(
        payment=payment,
        action="refund",
        idempotency_key=f"job-{payment.job_id}-refund-{number}",
        params={"amount": amount, "reason": "r", "by": None},
        created_at=timezone.now() - timedelta(hours=1),
    )


# --- Reservations -------------------------------------------------------------------------------


def test_a_refund_in_flight_is_reserved_and_one_that_no_longer_fits_answers_409(
    captured, olga, provider_refunds
):
    sent, state = provider_refunds
    state["outage"] = True
    with pytest.raises(PaymentPending):
        payment_refund(payment=captured, amount=4_000, actor=olga, reason="Half the job")
    captured.refresh_from_db()
    assert (captured.refund_reserved, captured.amount_refunded, captured.refundable) == (
        4_000,
        0,
        2_000,
    )

    with pytest.raises(InvalidTransition, match="still being processed") as refused:
        payment_refund(payment=captured, amount=4_000, actor=olga, reason="Double click")
    assert refused.value.code == "refund_in_progress" and refused.value.status_code == 409
    assert ProviderCall.objects.filter(action="refund").count() == 1  # nothing else written

    state["outage"] = False
    payment = payment_refund(payment=captured, amount=2_000, actor=olga, reason="The rest")
    assert (payment.amount_refunded, payment.refund_reserved) == (2_000, 4_000)
    assert provider_calls_retry_due(now=timezone.now() + LATER) == 1
    payment.refresh_from_db()
    assert (payment.amount_refunded, payment.refund_reserved, payment.refundable) == (6_000, 0, 0)
    assert sorted(amount for amount, _key in sent) == [2_000, 4_000]
    assert not ProviderCall.objects.filter(status=CallStatus.PENDING).exists()
    assert list(unbalanced_jobs()) == []


def test_more_than_is_left_answers_422_and_reaches_no_provider(captured, olga, provider_refunds):
    sent, _state = provider_refunds
    payment_refund(payment=captured, amount=4_000, actor=olga, reason="Most of it")
    with pytest.raises(ValidationFailed, match="between 1 and 2000") as refused:
        payment_refund(payment=captured, amount=4_000, actor=olga, reason="Again")
    assert refused.value.status_code == 422
    assert [amount for amount, _key in sent] == [4_000]
    assert ProviderCall.objects.filter(action="refund").count() == 1


def test_a_refund_the_provider_refuses_gives_its_reservation_back(captured, olga, provider_refunds):
    _sent, state = provider_refunds
    state["reject"] = True
    with pytest.raises(ValidationFailed, match="refused the credit"):
        payment_refund(payment=captured, amount=6_000, actor=olga, reason="Everything")
    captured.refresh_from_db()
    assert (captured.refund_reserved, captured.refundable) == (0, 6_000)
    call = ProviderCall.objects.get(action="refund")
    assert call.status == CallStatus.FAILED and "refused the credit" in call.last_error


def test_the_database_refuses_reservations_beyond_the_capture(captured):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.filter(pk=captured.pk).update(refund_reserved=6_001)


# --- Calls stuck before reservations existed -----------------------------------------------------


def test_a_stuck_refund_beyond_what_is_left_is_failed_with_the_reason_and_never_sent(
    captured, olga, provider_refunds
):
    sent, _state = provider_refunds
    payment_refund(payment=captured, amount=4_000, actor=olga, reason="First")
    poisoned = legacy_refund_call(captured, amount=4_000, number=2)
    fits = legacy_refund_call(captured, amount=1_500, number=3)

    assert provider_calls_retry_due(now=timezone.now()) == 2

    poisoned.refresh_from_db()
    fits.refresh_from_db()
    assert poisoned.status == CallStatus.FAILED
    assert "Refused by the ledger" in poisoned.last_error and "(2000)" in poisoned.last_error
    assert fits.status == CallStatus.SUCCEEDED
    assert [amount for amount, _key in sent] == [4_000, 1_500]  # the poisoned one never sent
    captured.refresh_from_db()
    assert (captured.amount_refunded, captured.refund_reserved) == (5_500, 0)
    assert list(unbalanced_jobs()) == []


def test_a_ledger_refusal_after_the_provider_answered_fails_the_call_and_says_so(
    captured, olga, monkeypatch
):
    """Checked before sending, so this only happens when provider and ledger disagree: the call
    is failed naming both, for an operator, and nothing in the ledger moves."""
    real = services._apply_refund

    def disagree(payment, *, call, ref, now):
        payment.amount_refunded = payment.amount_captured  # as if refunded behind our back
        return real(payment, call=call, ref=ref, now=now)

    monkeypatch.setattr(services, "_apply_refund", disagree)
    with pytest.raises(LedgerRefused):
        payment_refund(payment=captured, amount=1_000, actor=olga, reason="r")
    call = ProviderCall.objects.get(action="refund")
    assert call.status == CallStatus.FAILED
    assert call.last_error.startswith("The provider answered but the ledger refused")
    captured.refresh_from_db()
    assert (captured.amount_refunded, captured.refund_reserved) == (0, 0)
    assert list(unbalanced_jobs()) == []


# --- One bad call never stops reconciliation ------------------------------------------------------


@pytest.fixture
def confirmed_unsettled(alice, bob, router_wifi):
    """Another job, confirmed, whose capture was left to the periodic reconciliation (the
    worker died between the job's commit and its on-commit hook)."""
    job = job_at(
        JobStatus.CONFIRMED,
        customer=alice,
        helper=bob,
        category=router_wifi,
        description="The TV decoder shows no signal",
    )  # on_commit hooks not run
    assert job.payment.status == PaymentStatus.AUTHORISED
    return job


def test_a_poisoned_call_in_the_queue_does_not_stop_other_jobs_reconciling(
    captured, olga, confirmed_unsettled
):
    payment_refund(payment=captured, amount=6_000, actor=olga, reason="All of it")
    poisoned = legacy_refund_call(captured, amount=4_000, number=2)

    result = reconcile_payments.call()

    assert result["retried"] == 1 and result["followed"] == 1
    poisoned.refresh_from_db()
    assert poisoned.status == CallStatus.FAILED and "Refused by the ledger" in poisoned.last_error
    other = Payment.objects.get(job=confirmed_unsettled)
    assert (other.status, other.amount_captured) == (PaymentStatus.CAPTURED, 6_000)
    assert list(unbalanced_jobs()) == []


def test_an_unexpected_error_on_one_call_is_kept_on_it_and_the_loop_goes_on(
    captured, olga, confirmed_unsettled, provider_refunds, monkeypatch
):
    _sent, state = provider_refunds
    state["outage"] = True
    with pytest.raises(PaymentPending):
        payment_refund(payment=captured, amount=1_000, actor=olga, reason="r")
    state["outage"] = False
    stuck = ProviderCall.objects.get(action="refund")
    ProviderCall.objects.filter(pk=stuck.pk).update(created_at=timezone.now() - LATER)
    real_perform = services._perform

    def perform(provider, payment, call, **kwargs):
        if call.pk == stuck.pk:
            raise ValueError("a bug in one provider call")
        return real_perform(provider, payment, call, **kwargs)

    monkeypatch.setattr(services, "_perform", perform)

    with pytest.raises(ReconciliationIncomplete, match="a bug in one provider call"):
        reconcile_payments.call()  # the run is failed, for operators to see ...

    other = Payment.objects.get(job=confirmed_unsettled)
    assert other.status == PaymentStatus.CAPTURED  # ... but the following steps ran
    stuck.refresh_from_db()
    assert stuck.status == CallStatus.PENDING  # unknown outcome: kept, and retried later
    assert stuck.last_error == "ValueError: a bug in one provider call"

    monkeypatch.setattr(services, "_perform", real_perform)
    assert reconcile_payments.call()["retried"] == 1
    stuck.refresh_from_db()
    assert stuck.status == CallStatus.SUCCEEDED


def test_a_second_run_of_the_same_call_applies_its_outcome_once(captured, olga, provider_refunds):
    """Two workers retrying one pending call: the provider answers both (same key), the ledger
    takes the refund once."""
    _sent, state = provider_refunds
    state["outage"] = True
    with pytest.raises(PaymentPending):
        payment_refund(payment=captured, amount=1_000, actor=olga, reason="r")
    state["outage"] = False
    call = ProviderCall.objects.get(action="refund")
    stale_copy = ProviderCall.objects.get(pk=call.pk)
    services.provider_call_run(call, raise_pending=False)
    services.provider_call_run(stale_copy, raise_pending=False)  # read before the first finished
    captured.refresh_from_db()
    assert (captured.amount_refunded, captured.refund_reserved) == (1_000, 0)
    assert ledger.balances(job_id=captured.job_id)["customer"] == -5_000


# --- Repair command ----------------------------------------------------------------------------


def test_the_repair_command_settles_or_fails_every_stuck_call_with_a_reason(
    captured, olga, provider_refunds
):
    sent, _state = provider_refunds
    payment_refund(payment=captured, amount=4_000, actor=olga, reason="First")
    poisoned = legacy_refund_call(captured, amount=4_000, number=2)
    fits = legacy_refund_call(captured, amount=2_000, number=3)
    ProviderCall.objects.filter(pk=fits.pk).update(attempts=reconcile.MAX_ATTEMPTS)  # gave up

    dry = StringIO()
    call_command("payments_settle_stuck_calls", "--dry-run", stdout=dry)
    assert "2 pending call(s); nothing changed" in dry.getvalue()
    assert ProviderCall.objects.filter(status=CallStatus.PENDING).count() == 2

    out = StringIO()
    call_command("payments_settle_stuck_calls", stdout=out)
    text = out.getvalue()
    assert f"failed    {poisoned.idempotency_key}  Refused by the ledger" in text
    assert f"succeeded {fits.idempotency_key}" in text
    assert "1 settled, 1 failed with a reason, 0 still waiting" in text
    assert [amount for amount, _key in sent] == [4_000, 2_000]
    captured.refresh_from_db()
    assert (captured.amount_refunded, captured.refund_reserved) == (6_000, 0)

    again = StringIO()
    call_command("payments_settle_stuck_calls", stdout=again)
    assert "0 settled, 0 failed with a reason, 0 still waiting" in again.getvalue()


# --- What operators see ------------------------------------------------------------------------


@pytest.fixture
def one_failed_one_waiting(captured, olga, provider_refunds):
    _sent, state = provider_refunds
    payment_refund(payment=captured, amount=5_000, actor=olga, reason="Most")
    legacy_refund_call(captured, amount=4_000, number=2)
    provider_calls_retry_due()  # fails the poisoned call
    state["outage"] = True
    with pytest.raises(PaymentPending):
        payment_refund(payment=captured, amount=500, actor=olga, reason="A bit more")
    ProviderCall.objects.filter(status=CallStatus.PENDING).update(created_at=timezone.now() - LATER)
    return state


def test_operators_see_failed_and_waiting_calls_on_the_tasks_page_and_retry_one(
    one_failed_one_waiting, olga, captured
):
    web = Client()
    web.force_login(olga)
    page = web.get("/operator/tasks/").content.decode()
    assert "Payment provider calls" in page
    assert f"job-{captured.job_id}-refund-2" in page and "Refused by the ledger" in page
    assert f"job-{captured.job_id}-refund-3" in page and "did not answer" in page

    one_failed_one_waiting["outage"] = False
    waiting = ProviderCall.objects.get(status=CallStatus.PENDING)
    response = web.post(f"/operator/tasks/payment-calls/{waiting.pk}/retry/", follow=True)
    assert "The payment call went through." in response.content.decode()
    waiting.refresh_from_db()
    assert waiting.status == CallStatus.SUCCEEDED


def test_the_api_lists_failed_and_waiting_calls_and_retries_one(
    one_failed_one_waiting, olga, captured, api_as
):
    api = api_as(olga)
    failed = api.get("/api/operator/payment-calls", status="failed").json()
    assert [c["idempotency_key"] for c in failed] == [f"job-{captured.job_id}-refund-2"]
    assert failed[0]["amount"] == 4_000 and "Refused by the ledger" in failed[0]["last_error"]
    waiting = api.get("/api/operator/payment-calls", status="pending").json()
    assert [(c["amount"], c["gave_up"]) for c in waiting] == [(500, False)]

    one_failed_one_waiting["outage"] = False
    retried = api.post(f"/api/operator/payment-calls/{waiting[0]['id']}/retry")
    assert retried.status_code == 200 and retried.json()["status"] == "succeeded"
    again = api.post(f"/api/operator/payment-calls/{waiting[0]['id']}/retry")
    assert again.status_code == 409
    assert api.post("/api/operator/payment-calls/999999/retry").status_code == 404


@pytest.mark.parametrize("who", ["alice", "bob", "dave"])
def test_only_operators_see_or_retry_payment_calls(one_failed_one_waiting, who, request, api_as):
    user = request.getfixturevalue(who)
    api = api_as(user)
    assert api.get("/api/operator/payment-calls").status_code == 403
    call = ProviderCall.objects.get(status=CallStatus.PENDING)
    assert api.post(f"/api/operator/payment-calls/{call.pk}/retry").status_code == 403
    web = Client()
    web.force_login(user)
    assert web.get("/operator/tasks/").status_code in (302, 403)
    assert web.post(f"/operator/tasks/payment-calls/{call.pk}/retry/").status_code in (302, 403)
    call.refresh_from_db()
    assert call.status == CallStatus.PENDING and call.attempts == 1


def test_the_web_refund_form_answers_a_message_not_an_error_when_it_does_not_fit(
    captured, olga, provider_refunds
):
    _sent, state = provider_refunds
    state["outage"] = True
    web = Client()
    web.force_login(olga)
    url = f"/operator/jobs/{captured.job_id}/refund/"
    first = web.post(url, {"amount": "40.00", "reason": "Half"}, follow=True)
    assert first.status_code == 200
    second = web.post(url, {"amount": "40.00", "reason": "Half"}, follow=True)
    assert second.status_code == 200
    assert "still being processed" in second.content.decode()
    assert ProviderCall.objects.filter(action="refund").count() == 1
