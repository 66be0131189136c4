"""Bill-to-account, the embedded default (DESIGN §6): the amount is authorised when a helper
accepts, captured when the customer confirms, and goes on the customer's telecom invoice; a
cancellation fee is a partial capture; operators refund. The ledger always balances."""

from datetime import timedelta

import pytest
from django.utils import timezone

from marketplace.core.errors import InvalidTransition, NotAllowed, ValidationFailed
from marketplace.jobs.models import JobStatus
from marketplace.jobs.services import (
    job_accept,
    job_cancel,
    job_check_in,
    job_complete,
    job_confirm,
    job_release,
)
from marketplace.payments import ledger
from marketplace.payments.models import InvoiceLine, LedgerEntry, PaymentStatus
from marketplace.payments.reconcile import payments_follow_jobs
from marketplace.payments.selectors import unbalanced_jobs
from marketplace.payments.services import payment_refund
from tests.factories import job_at

pytestmark = pytest.mark.django_db

ZURICH = "Bahnhofstrasse 1, 8001 Zürich"


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    """Run the after-commit hooks (payment settlement) the way a real request would."""

    def run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return run


@pytest.fixture
def accepted(alice, bob, router_wifi):
    return job_at(
        JobStatus.ACCEPTED,
        customer=alice,
        helper=bob,
        category=router_wifi,
        description="Please set up my new router",
        address=ZURICH,
    )


def done(job, bob, alice, run_on_commit):
    job = job_check_in(job=job, helper=bob)
    job = job_complete(job=job, helper=bob, note="Router works")
    return run_on_commit(job_confirm, job=job, actor=alice)


def test_acceptance_authorises_the_quoted_price(accepted):
    payment = accepted.payment
    assert payment.provider == "bill_to_account"
    assert payment.status == PaymentStatus.AUTHORISED
    assert (payment.amount, payment.platform_fee, payment.currency) == (6_000, 1_200, "CHF")
    assert ledger.balances(job_id=accepted.pk) == {
        "customer": -6_000,
        "hold": 6_000,
        "platform": 0,
        "helper": 0,
    }


def test_confirmation_captures_and_puts_the_charge_on_the_invoice(
    accepted, alice, bob, run_on_commit
):
    job = done(accepted, bob, alice, run_on_commit)
    payment = job.payment
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CAPTURED
    assert (payment.amount_captured, payment.fee_captured) == (6_000, 1_200)
    assert ledger.balances(job_id=job.pk) == {
        "customer": -6_000,
        "hold": 0,
        "platform": 1_200,
        "helper": 4_800,
    }
    line = InvoiceLine.objects.get()
    assert (line.customer, line.kind, line.amount, line.currency) == (alice, "charge", 6_000, "CHF")
    assert line.period == timezone.localtime().strftime("%Y-%m")


def test_settling_twice_records_nothing_twice(accepted, alice, bob, run_on_commit):
    job = done(accepted, bob, alice, run_on_commit)
    entries = LedgerEntry.objects.count()
    assert payments_follow_jobs() == 0
    from marketplace.payments.services import payment_follow_job

    payment_follow_job(job=job)
    assert LedgerEntry.objects.count() == entries
    assert InvoiceLine.objects.count() == 1


def test_free_cancellation_releases_the_authorisation(accepted, alice, run_on_commit):
    job = run_on_commit(job_cancel, job=accepted, actor=alice, reason="Fixed it myself")
    job.payment.refresh_from_db()
    assert job.payment.status == PaymentStatus.CANCELLED
    assert ledger.balances(job_id=job.pk) == {"customer": 0, "hold": 0, "platform": 0, "helper": 0}
    assert not InvoiceLine.objects.exists()


def test_a_late_cancellation_captures_only_the_fee(accepted, alice, run_on_commit):
    late = accepted.accepted_at + timedelta(hours=3)
    job = run_on_commit(job_cancel, job=accepted, actor=alice, reason="Changed plans", now=late)
    assert job.cancellation_fee == 2_000
    payment = job.payment
    payment.refresh_from_db()
    assert (payment.status, payment.amount_captured) == (PaymentStatus.CAPTURED, 2_000)
    # The platform keeps the same share of the fee as of the price: 1200/6000 of 2000 = 400.
    assert ledger.balances(job_id=job.pk) == {
        "customer": -2_000,
        "hold": 0,
        "platform": 400,
        "helper": 1_600,
    }
    assert InvoiceLine.objects.get().kind == "cancellation_fee"


def test_a_released_job_releases_the_money_and_the_next_acceptance_authorises_again(
    accepted, bob, carol, run_on_commit
):
    job = run_on_commit(job_release, job=accepted, helper=bob, reason="Car broke down")
    payment = job.payment
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CANCELLED
    job = job_accept(job=job, helper=carol)
    payment.refresh_from_db()
    assert (payment.status, payment.attempt) == (PaymentStatus.AUTHORISED, 2)
    assert ledger.balances(job_id=job.pk)["hold"] == 6_000


def test_check_in_waits_for_the_payment(accepted, bob):
    accepted.payment.status = PaymentStatus.PENDING
    accepted.payment.save()
    with pytest.raises(InvalidTransition, match="not paid"):
        job_check_in(job=accepted, helper=bob)


# --- Refunds ---------------------------------------------------------------------------------


@pytest.fixture
def captured(accepted, alice, bob, run_on_commit):
    return done(accepted, bob, alice, run_on_commit).payment


def test_partial_refunds_share_fee_and_payout_in_proportion_and_balance(captured, olga):
    payment_refund(payment=captured, amount=1_000, actor=olga, reason="Came late")
    payment = payment_refund(payment=captured, amount=2_001, actor=olga, reason="Dispute")
    assert (payment.amount_refunded, payment.fee_refunded) == (3_001, 600)
    balances = ledger.balances(job_id=payment.job_id)
    assert balances == {"customer": -2_999, "hold": 0, "platform": 600, "helper": 2_399}
    assert sum(balances.values()) == 0
    assert list(InvoiceLine.objects.values_list("amount", flat=True)) == [6_000, -1_000, -2_001]


def test_over_refund_is_refused_and_nothing_changes(captured, olga):
    with pytest.raises(ValidationFailed, match="between 1 and 6000"):
        payment_refund(payment=captured, amount=6_001, actor=olga, reason="Too much")
    captured.refresh_from_db()
    assert captured.amount_refunded == 0


def test_only_operators_refund(captured, alice):
    with pytest.raises(NotAllowed):
        payment_refund(payment=captured, amount=100, actor=alice, reason="Please")


def test_a_refund_needs_a_reason(captured, olga):
    with pytest.raises(ValidationFailed, match="reason"):
        payment_refund(payment=captured, amount=100, actor=olga, reason=" ")


def test_every_job_balances(captured, olga):
    payment_refund(payment=captured, amount=777, actor=olga, reason="Goodwill")
    assert list(unbalanced_jobs()) == []


def test_the_balance_check_finds_a_tampered_ledger(captured):
    entry = LedgerEntry.objects.filter(job_id=captured.job_id, account="helper").first()
    LedgerEntry.objects.filter(pk=entry.pk).update(amount=entry.amount + 1)
    assert [row["job_id"] for row in unbalanced_jobs()] == [captured.job_id]


def test_a_second_attempt_released_again_balances_its_hold(
    accepted, bob, carol, alice, run_on_commit
):
    job = run_on_commit(job_release, job=accepted, helper=bob, reason="Ill")
    job = job_accept(job=job, helper=carol)
    job = run_on_commit(job_cancel, job=job, actor=alice, reason="No longer needed")
    assert ledger.balances(job_id=job.pk)["hold"] == 0
    assert list(unbalanced_jobs()) == []
