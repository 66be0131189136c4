"""Reviews both ways after confirmation; NPS from customers only; the helper's Bayesian rating."""

import pytest

from marketplace.core.errors import InvalidTransition, NotAllowed, ValidationFailed
from marketplace.helpers.models import HelperProfile
from marketplace.jobs.models import JobEvent, JobStatus, ReviewDirection
from marketplace.jobs.services import (
    review_create,
)
from tests.factories import ZURICH, job_at

pytestmark = pytest.mark.django_db


def done_job(customer, helper, category, *, confirm=True):
    return job_at(
        JobStatus.CONFIRMED if confirm else JobStatus.COMPLETED,
        customer=customer,
        helper=helper,
        category=category,
        description="The new router does not connect to the fibre box",
        lat=ZURICH[0],
        lng=ZURICH[1],
    )


@pytest.fixture
def job(alice, bob, router_wifi):
    return done_job(alice, bob, router_wifi)


def helper_rating(user) -> tuple[float, int, int]:
    p = HelperProfile.objects.get(user=user)
    return p.rating, p.rating_sum, p.rating_count


def test_customer_rates_the_helper_and_answers_nps(job, alice, bob):
    review = review_create(job=job, author=alice, rating=5, nps=9, comment="  Quick and kind  ")

    assert (review.direction, review.subject_id) == (ReviewDirection.OF_HELPER, bob.pk)
    assert (review.rating, review.nps, review.comment) == (5, 9, "Quick and kind")
    event = JobEvent.objects.get(job=job, kind="reviewed")
    assert event.data == {"direction": "of_helper", "rating": 5, "nps": 9}


def test_helper_rates_the_customer(job, alice, bob):
    review = review_create(job=job, author=bob, rating=4)

    assert (review.direction, review.subject_id, review.nps) == (
        ReviewDirection.OF_CUSTOMER,
        alice.pk,
        None,
    )
    assert helper_rating(bob) == (4.0, 0, 0)  # the helper's own rating is untouched


def test_only_customers_answer_nps(job, bob):
    with pytest.raises(ValidationFailed):
        review_create(job=job, author=bob, rating=4, nps=7)


def test_rating_updates_the_helpers_bayesian_average(job, alice, bob, mallory, router_wifi):
    assert helper_rating(bob) == (4.0, 0, 0)

    review_create(job=job, author=alice, rating=5)
    # Two phantom 4-star reviews: (5 + 2 × 4) / 3.
    assert helper_rating(bob) == (pytest.approx(13 / 3, abs=1e-4), 5, 1)

    review_create(job=done_job(mallory, bob, router_wifi), author=mallory, rating=1)
    assert helper_rating(bob) == (pytest.approx(14 / 4), 6, 2)


def test_each_side_reviews_once(job, alice, bob):
    review_create(job=job, author=alice, rating=5)
    review_create(job=job, author=bob, rating=5)

    for author in (alice, bob):
        with pytest.raises(InvalidTransition):
            review_create(job=job, author=author, rating=3)
    assert helper_rating(bob)[2] == 1


def test_reviews_open_only_after_confirmation(alice, bob, router_wifi):
    job = done_job(alice, bob, router_wifi, confirm=False)

    with pytest.raises(InvalidTransition):
        review_create(job=job, author=alice, rating=5)


def test_outsiders_cannot_review(job, mallory, carol, olga):
    for author in (mallory, carol, olga):
        with pytest.raises(NotAllowed):
            review_create(job=job, author=author, rating=1)


@pytest.mark.parametrize("rating, nps", [(0, None), (6, None), (5, 11), (5, -1)])
def test_rating_is_1_to_5_and_nps_0_to_10(job, alice, rating, nps):
    with pytest.raises(ValidationFailed):
        review_create(job=job, author=alice, rating=rating, nps=nps)


@pytest.mark.parametrize("nps", [0, 10])
def test_nps_bounds_are_inclusive(job, alice, nps):
    assert review_create(job=job, author=alice, rating=3, nps=nps).nps == nps
