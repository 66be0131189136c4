"""The factories in tests/factories.py build valid graphs: every row passes the model's
validation and CheckConstraints, and the lifecycle builders end where they say."""

import pytest

from marketplace.jobs.models import JobStatus, OfferStatus, ReviewDirection
from marketplace.payments import ledger
from marketplace.payments.models import PaymentStatus
from tests.factories import (
    DisputeFactory,
    JobFactory,
    MarketFactory,
    OfferFactory,
    PaymentFactory,
    PriceBookEntryFactory,
    ReviewFactory,
    job_at,
    posted_job,
)

pytestmark = pytest.mark.django_db

ROW_STATUSES = {
    "open": JobStatus.OPEN,
    "offered": JobStatus.OFFERED,
    "accepted": JobStatus.ACCEPTED,
    "in_progress": JobStatus.IN_PROGRESS,
    "completed": JobStatus.COMPLETED,
    "confirmed": JobStatus.CONFIRMED,
    "disputed": JobStatus.DISPUTED,
    "cancelled": JobStatus.CANCELLED,
    "expired": JobStatus.EXPIRED,
}


def valid(obj):
    obj.full_clean(validate_constraints=True)
    return obj


@pytest.mark.parametrize("trait", ROW_STATUSES)
def test_job_rows_in_each_status_are_valid_and_consistent(reference, trait):
    job = valid(JobFactory(**({} if trait == "open" else {trait: True})))

    assert job.status == ROW_STATUSES[trait]
    assert job.platform_fee + job.helper_payout == job.price > 0
    assert (job.currency, job.market.code) == ("CHF", "ch")
    assigned = trait in ("accepted", "in_progress", "completed", "confirmed", "disputed")
    assert (job.assigned_helper is not None) == assigned == (job.accepted_at is not None)
    if assigned:
        assert job.assigned_helper.is_helper
    assert (job.started_at is not None) == (
        trait not in ("open", "offered", "accepted", "cancelled", "expired")
    )
    assert (job.closed_at is not None) == (trait in ("confirmed", "cancelled", "expired"))
    if trait == "offered":
        assert list(job.offers.values_list("status", flat=True)) == [OfferStatus.PENDING]


def test_offer_payment_review_and_dispute_rows_are_valid(reference):
    offer = valid(OfferFactory())
    assert offer.job.status == JobStatus.OFFERED
    assert offer.expires_at > offer.sent_at
    assert offer.distance_km < offer.helper.helper_profile.service_radius_km

    payment = valid(PaymentFactory())
    assert (payment.status, payment.amount) == (PaymentStatus.AUTHORISED, payment.job.price)
    captured = valid(PaymentFactory(captured=True))
    assert captured.job.status == JobStatus.CONFIRMED
    assert (captured.amount_captured, captured.fee_captured) == (
        captured.amount,
        captured.job.platform_fee,
    )

    review = valid(ReviewFactory())
    assert (review.author, review.subject) == (review.job.customer, review.job.assigned_helper)
    back = valid(ReviewFactory(job=review.job, of_customer=True))
    assert (back.direction, back.author) == (ReviewDirection.OF_CUSTOMER, review.subject)

    dispute = valid(DisputeFactory())
    assert dispute.is_open and dispute.job.status == JobStatus.DISPUTED


def test_markets_and_price_entries_are_within_bounds(reference):
    entry = valid(PriceBookEntryFactory())
    valid(entry.market)
    assert entry.market.code not in ("ch", "pl")
    assert valid(MarketFactory()).country == "AT"


def test_posted_job_goes_through_dispatch(alice, bob, carol):
    job = posted_job(customer=alice)

    assert job.status == JobStatus.OFFERED
    # Zürich's centre: carol is within the first radius step (2 km), bob is not.
    assert list(job.offers.values_list("helper__email", "status")) == [
        ("carol@example.com", OfferStatus.PENDING)
    ]
    assert job.events.first().kind == "posted"


@pytest.mark.parametrize(
    "status",
    [
        JobStatus.OFFERED,
        JobStatus.ACCEPTED,
        JobStatus.IN_PROGRESS,
        JobStatus.COMPLETED,
        JobStatus.DISPUTED,
        JobStatus.CONFIRMED,
        JobStatus.CANCELLED,
    ],
)
def test_job_at_reaches_each_status_through_the_services(alice, status):
    job = job_at(status, customer=alice)

    assert job.status == status
    assert job.customer == alice
    if status not in (JobStatus.OFFERED, JobStatus.CANCELLED):
        assert job.payment.status == PaymentStatus.AUTHORISED
    if status == JobStatus.DISPUTED:
        assert job.dispute.is_open


def test_job_at_settles_the_payment_when_asked(alice, bob, django_capture_on_commit_callbacks):
    job = job_at(
        JobStatus.CONFIRMED,
        customer=alice,
        helper=bob,
        commit_hooks=django_capture_on_commit_callbacks,
    )

    assert job.payment.status == PaymentStatus.CAPTURED
    assert sum(ledger.balances(job_id=job.pk).values()) == 0
    bob.helper_profile.refresh_from_db()
    assert (bob.helper_profile.active_jobs, bob.helper_profile.completed_jobs) == (0, 1)


def test_job_at_cancels_after_acceptance_when_asked(alice, bob):
    job = job_at(JobStatus.CANCELLED, customer=alice, helper=bob, after_acceptance=True)

    assert (job.status, job.assigned_helper, job.cancelled_by) == (
        JobStatus.CANCELLED,
        bob,
        "customer",
    )
    assert job.events.filter(kind="accepted").exists()
