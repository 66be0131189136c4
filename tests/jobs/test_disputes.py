"""Disputes (issue 6 part 4, DESIGN §3): the customer reports a problem on a completed job, the
job is disputed (no automatic confirmation), an operator confirms it for the helper or refunds
the customer in full or in part. Job, payment and ledger always agree."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from marketplace.core.errors import InvalidTransition, NotAllowed, ValidationFailed
from marketplace.jobs import services
from marketplace.jobs.disputes import dispute_open, dispute_resolve
from marketplace.jobs.models import Dispute, JobEvent, JobStatus
from marketplace.jobs.services import jobs_auto_confirm_due
from marketplace.payments import ledger
from marketplace.payments.models import PaymentStatus
from marketplace.payments.reconcile import authorisations_expiring
from marketplace.payments.selectors import unbalanced_jobs
from tests.factories import job_at

pytestmark = pytest.mark.django_db

ADDRESS = "Bahnhofstrasse 1, 8001 Zürich"


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
    )


@pytest.fixture
def completed(accepted, bob):
    job = services.job_check_in(job=accepted, helper=bob)
    return services.job_complete(job=job, helper=bob, note="Router works")


@pytest.fixture
def disputed(completed, alice):
    dispute_open(job=completed, customer=alice, reason="The Wi-Fi drops every hour")
    completed.refresh_from_db()
    return completed


def balanced(job) -> dict:
    balances = ledger.balances(job_id=job.pk)
    assert sum(balances.values()) == 0
    assert list(unbalanced_jobs()) == []
    return balances


# --- Opening ------------------------------------------------------------------------------------


def test_the_customer_opens_a_dispute_on_a_completed_job(completed, alice):
    dispute = dispute_open(job=completed, customer=alice, reason="  Still no internet  ")
    completed.refresh_from_db()
    assert completed.status == JobStatus.DISPUTED
    assert dispute.reason == "Still no internet"
    assert dispute.is_open
    event = JobEvent.objects.filter(job=completed).last()
    assert (event.kind, event.from_status, event.to_status, event.actor) == (
        "dispute_opened",
        "completed",
        "disputed",
        alice,
    )
    assert completed.payment.status == PaymentStatus.AUTHORISED  # nothing captured yet


def test_a_dispute_needs_a_reason(completed, alice):
    with pytest.raises(ValidationFailed, match="went wrong"):
        dispute_open(job=completed, customer=alice, reason="   ")
    with pytest.raises(ValidationFailed, match="2000"):
        dispute_open(job=completed, customer=alice, reason="x" * 2001)
    assert not Dispute.objects.exists()


def test_disputes_open_only_on_completed_jobs(accepted, alice, bob):
    with pytest.raises(InvalidTransition, match="marked the job done"):
        dispute_open(job=accepted, customer=alice, reason="Nobody came")
    job = services.job_check_in(job=accepted, helper=bob)
    job = services.job_complete(job=job, helper=bob)
    job = services.job_confirm(job=job, actor=alice)
    with pytest.raises(InvalidTransition):
        dispute_open(job=job, customer=alice, reason="Changed my mind")
    assert not Dispute.objects.exists()


def test_only_its_customer_opens_a_dispute(completed, bob, mallory, olga):
    for user in (bob, mallory, olga):
        with pytest.raises(NotAllowed):
            dispute_open(job=completed, customer=user, reason="Not good")
    completed.refresh_from_db()
    assert completed.status == JobStatus.COMPLETED


def test_a_second_dispute_is_refused(disputed, alice):
    with pytest.raises(InvalidTransition):
        dispute_open(job=disputed, customer=alice, reason="Again")


def test_auto_confirmation_skips_disputed_jobs(disputed):
    later = timezone.now() + timedelta(days=30)
    assert jobs_auto_confirm_due(now=later) == 0
    disputed.refresh_from_db()
    assert disputed.status == JobStatus.DISPUTED


def test_the_customer_can_still_confirm_instead_of_disputing_but_not_after(disputed, alice):
    with pytest.raises(InvalidTransition):
        services.job_confirm(job=disputed, actor=alice)


# --- Resolving ----------------------------------------------------------------------------------


def test_confirming_for_the_helper_captures_the_payment(disputed, olga, run_on_commit):
    dispute = run_on_commit(
        dispute_resolve, job=disputed, operator=olga, outcome="confirm", note="Photos show it works"
    )
    disputed.refresh_from_db()
    assert disputed.status == JobStatus.CONFIRMED and disputed.closed_at
    assert (dispute.outcome, dispute.resolved_by, dispute.refund_amount) == ("confirm", olga, 0)
    payment = disputed.payment
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CAPTURED
    assert payment.amount_captured == disputed.price
    assert balanced(disputed) == {
        "customer": -disputed.price,
        "hold": 0,
        "platform": disputed.platform_fee,
        "helper": disputed.helper_payout,
    }
    event = JobEvent.objects.filter(job=disputed, kind="dispute_resolved").get()
    assert event.actor == olga
    assert event.data == {"outcome": "confirm", "note": "Photos show it works"}
    assert (event.from_status, event.to_status) == ("disputed", "confirmed")


def test_a_full_refund_releases_the_authorisation(disputed, olga, run_on_commit):
    dispute = run_on_commit(
        dispute_resolve, job=disputed, operator=olga, outcome="refund", note="No show"
    )
    disputed.refresh_from_db()
    assert disputed.status == JobStatus.CANCELLED
    assert (disputed.cancelled_by, disputed.cancellation_fee) == ("operator", 0)
    assert dispute.refund_amount == disputed.price
    payment = disputed.payment
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CANCELLED
    assert payment.amount_captured == 0
    assert balanced(disputed) == {"customer": 0, "hold": 0, "platform": 0, "helper": 0}
    event = JobEvent.objects.get(job=disputed, kind="dispute_resolved")
    assert event.actor == olga and event.data["refund"] == disputed.price


def test_a_partial_refund_captures_only_the_rest(disputed, olga, run_on_commit):
    price = disputed.price
    run_on_commit(
        dispute_resolve,
        job=disputed,
        operator=olga,
        outcome="refund",
        note="Half done",
        refund_amount=2_000,
    )
    disputed.refresh_from_db()
    assert disputed.status == JobStatus.CANCELLED
    assert disputed.cancellation_fee == price - 2_000
    payment = disputed.payment
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CAPTURED
    assert payment.amount_captured == price - 2_000
    balances = balanced(disputed)
    assert balances["customer"] == -(price - 2_000)
    assert balances["hold"] == 0
    assert balances["platform"] + balances["helper"] == price - 2_000
    assert balances["platform"] == payment.fee_captured


def test_a_refund_of_an_already_captured_payment_goes_through_payment_refund(
    completed, alice, olga, run_on_commit
):
    # The authorisation was about to lapse while the job waited for confirmation: captured.
    payment = completed.payment
    authorisations_expiring(now=payment.capture_before + timedelta(minutes=1))
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CAPTURED
    dispute_open(job=completed, customer=alice, reason="Broke my TV")
    dispute = run_on_commit(
        dispute_resolve,
        job=completed,
        operator=olga,
        outcome="refund",
        note="Goodwill",
        refund_amount=1_500,
    )
    completed.refresh_from_db()
    payment.refresh_from_db()
    assert completed.status == JobStatus.CANCELLED
    assert completed.cancellation_fee == completed.price - 1_500
    assert (payment.amount_refunded, dispute.refund_amount) == (1_500, 1_500)
    balances = balanced(completed)
    assert balances["customer"] == -(completed.price - 1_500)
    assert balances["hold"] == 0


def test_a_dispute_outlasting_the_authorisation_is_captured_so_the_helper_can_still_be_paid(
    disputed, olga, run_on_commit
):
    payment = disputed.payment
    authorisations_expiring(now=payment.capture_before + timedelta(minutes=1))
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CAPTURED  # not released: the dispute is undecided
    run_on_commit(
        dispute_resolve, job=disputed, operator=olga, outcome="confirm", note="Helper was right"
    )
    disputed.refresh_from_db()
    payment.refresh_from_db()
    assert disputed.status == JobStatus.CONFIRMED
    assert (payment.amount_captured, payment.amount_refunded) == (disputed.price, 0)
    assert balanced(disputed)["helper"] == disputed.helper_payout


def test_refund_amounts_are_bounded_and_nothing_changes_when_refused(disputed, olga):
    for amount in (0, -5, disputed.price + 1):
        with pytest.raises(ValidationFailed, match="between 1 and"):
            dispute_resolve(
                job=disputed, operator=olga, outcome="refund", note="x", refund_amount=amount
            )
    disputed.refresh_from_db()
    assert disputed.status == JobStatus.DISPUTED
    assert Dispute.objects.get().is_open


def test_a_resolution_needs_a_note_and_a_known_outcome(disputed, olga):
    with pytest.raises(ValidationFailed, match="note"):
        dispute_resolve(job=disputed, operator=olga, outcome="confirm", note=" ")
    with pytest.raises(ValidationFailed):
        dispute_resolve(job=disputed, operator=olga, outcome="split", note="Hmm")


def test_only_operators_resolve(disputed, alice, bob, mallory):
    for user in (alice, bob, mallory):
        with pytest.raises(NotAllowed):
            dispute_resolve(job=disputed, operator=user, outcome="refund", note="Mine")
    disputed.refresh_from_db()
    assert disputed.status == JobStatus.DISPUTED


def test_a_dispute_is_resolved_once(disputed, completed, olga, run_on_commit):
    run_on_commit(dispute_resolve, job=disputed, operator=olga, outcome="confirm", note="OK")
    with pytest.raises(InvalidTransition, match="no open dispute"):
        dispute_resolve(job=disputed, operator=olga, outcome="refund", note="Changed")


def test_jobs_without_a_dispute_cannot_be_resolved(completed, olga):
    with pytest.raises(InvalidTransition):
        dispute_resolve(job=completed, operator=olga, outcome="confirm", note="?")


# --- API ----------------------------------------------------------------------------------------


def test_api_customer_opens_and_operator_resolves(completed, alice, olga, api_as):
    resp = api_as(alice).post(f"/api/jobs/{completed.pk}/dispute", {"reason": "Still broken"})
    assert resp.status_code == 201
    assert resp.json()["job_status"] == "disputed"
    assert resp.json()["outcome"] is None
    resp = api_as(olga).post(
        f"/api/operator/jobs/{completed.pk}/resolve-dispute",
        {"outcome": "refund", "note": "Agreed with both", "refund_amount": 1_000},
    )
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert (body["job_status"], body["outcome"], body["refund_amount"]) == (
        "cancelled",
        "refund",
        1_000,
    )


def test_api_dispute_permissions_for_every_role(
    completed, alice, bob, carol, mallory, olga, api_as
):
    open_url = f"/api/jobs/{completed.pk}/dispute"
    resolve_url = f"/api/operator/jobs/{completed.pk}/resolve-dispute"
    assert api_as(mallory).post(open_url, {"reason": "x"}).status_code == 404
    assert api_as(carol).post(open_url, {"reason": "x"}).status_code == 404
    assert api_as(bob).post(open_url, {"reason": "x"}).status_code == 403
    assert api_as(olga).post(open_url, {"reason": "x"}).status_code == 403
    resp = api_as(alice).post(open_url, {"reason": ""})
    assert resp.status_code == 422
    assert api_as(alice).post(open_url, {"reason": "Bad"}).status_code == 201
    assert api_as(alice).post(open_url, {"reason": "Bad"}).status_code == 409
    for user in (alice, bob, carol, mallory):
        resp = api_as(user).post(resolve_url, {"outcome": "confirm", "note": "Me"})
        assert resp.status_code == 403
    assert api_as(olga).post(resolve_url, {"outcome": "nope", "note": "x"}).status_code == 422
    assert api_as(olga).post(resolve_url, {"outcome": "confirm", "note": "OK"}).status_code == 200
    assert api_as(olga).post(resolve_url, {"outcome": "confirm", "note": "OK"}).status_code == 409


def test_api_dispute_on_an_accepted_job_is_a_conflict_with_a_message(accepted, alice, api_as):
    resp = api_as(alice).post(f"/api/jobs/{accepted.pk}/dispute", {"reason": "Late"})
    assert resp.status_code == 409
    assert "marked the job done" in resp.json()["detail"]


# --- Web ----------------------------------------------------------------------------------------


def test_customer_reports_a_problem_from_the_job_page(completed, alice, client):
    client.force_login(alice)
    page = client.get(reverse("customer:job", args=[completed.pk]))
    assert "Report a problem" in page.text
    resp = client.post(
        reverse("customer:dispute", args=[completed.pk]), {"reason": "No signal upstairs"}
    )
    assert resp.status_code == 302
    completed.refresh_from_db()
    assert completed.status == JobStatus.DISPUTED
    page = client.get(reverse("customer:job", args=[completed.pk]))
    assert "No signal upstairs" in page.text
    assert "Report a problem" not in page.text


def test_the_report_form_is_not_offered_before_completion(accepted, alice, client):
    client.force_login(alice)
    page = client.get(reverse("customer:job", args=[accepted.pk]))
    assert "Report a problem" not in page.text
    resp = client.post(
        reverse("customer:dispute", args=[accepted.pk]), {"reason": "x"}, follow=True
    )
    assert "marked the job done" in resp.text
    accepted.refresh_from_db()
    assert accepted.status == JobStatus.ACCEPTED


def test_other_users_cannot_report_a_problem_on_the_web(completed, mallory, bob, olga, client):
    client.force_login(mallory)
    assert (
        client.post(reverse("customer:dispute", args=[completed.pk]), {"reason": "x"}).status_code
        == 404
    )
    for user in (bob, olga):
        client.force_login(user)
        assert (
            client.post(
                reverse("customer:dispute", args=[completed.pk]), {"reason": "x"}
            ).status_code
            == 403
        )
    completed.refresh_from_db()
    assert completed.status == JobStatus.COMPLETED


def test_the_helper_sees_the_dispute_on_the_job_page(disputed, bob, client):
    client.force_login(bob)
    page = client.get(reverse("helper:job", args=[disputed.pk]))
    assert "The Wi-Fi drops every hour" in page.text


def test_operator_sees_dispute_thread_and_photos_and_resolves_with_a_partial_refund(
    disputed, alice, olga, client, django_capture_on_commit_callbacks
):
    from marketplace.messaging.services import message_post

    message_post(job=disputed, author=alice, body="It drops at 8 pm")
    client.force_login(olga)
    listing = client.get(reverse("operator:jobs"), {"status": "disputed"})
    assert listing.status_code == 200
    assert reverse("operator:job", args=[disputed.pk]) in listing.text
    page = client.get(reverse("operator:job", args=[disputed.pk]))
    assert "The Wi-Fi drops every hour" in page.text
    assert "It drops at 8 pm" in page.text
    assert 'id="photos"' in page.text
    assert reverse("operator:resolve_dispute", args=[disputed.pk]) in page.text
    with django_capture_on_commit_callbacks(execute=True):
        resp = client.post(
            reverse("operator:resolve_dispute", args=[disputed.pk]),
            {"outcome": "refund", "amount": "20.00", "note": "Half of the work missing"},
        )
    assert resp.status_code == 302
    dispute = Dispute.objects.get()
    assert (dispute.outcome, dispute.refund_amount) == ("refund", 2_000)
    disputed.refresh_from_db()
    assert disputed.status == JobStatus.CANCELLED
    balanced(disputed)
    page = client.get(reverse("operator:job", args=[disputed.pk]))
    assert reverse("operator:resolve_dispute", args=[disputed.pk]) not in page.text
    assert "Half of the work missing" in page.text


def test_operator_web_refusals_are_messages(disputed, olga, client):
    client.force_login(olga)
    url = reverse("operator:resolve_dispute", args=[disputed.pk])
    resp = client.post(url, {"outcome": "refund", "amount": "abc", "note": "x"}, follow=True)
    assert resp.status_code == 200
    resp = client.post(url, {"outcome": "confirm", "note": ""}, follow=True)
    assert "Add a note" in resp.text
    disputed.refresh_from_db()
    assert disputed.status == JobStatus.DISPUTED


def test_only_operators_reach_the_resolve_view(disputed, alice, bob, client):
    for user in (alice, bob):
        client.force_login(user)
        resp = client.post(
            reverse("operator:resolve_dispute", args=[disputed.pk]),
            {"outcome": "confirm", "note": "x"},
        )
        assert resp.status_code == 403
