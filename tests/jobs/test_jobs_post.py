"""Posting a request (DESIGN §1, §4, §5): validation, location, market and the fixed quote."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from marketplace.core import geo
from marketplace.core.errors import NotAllowed, ValidationFailed
from marketplace.jobs.models import JobEvent, JobStatus
from marketplace.jobs.services import job_post
from marketplace.pricing.models import Market, PriceBookEntry
from tests.factories import WARSAW, ZURICH

pytestmark = pytest.mark.django_db

DESCRIPTION = "The new router does not connect to the fibre box"


@pytest.fixture
def now():
    return timezone.now()


def post(customer, category, now=None, **extra):
    fields = {"description": DESCRIPTION, "lat": ZURICH[0], "lng": ZURICH[1], **extra}
    return job_post(customer=customer, category=category, now=now, **fields)


def test_posting_by_address_fixes_the_quote_and_snaps_the_location(alice, router_wifi, now):
    job = post(alice, router_wifi, now, lat=None, lng=None, address="Bahnhofstrasse 1, 8001 Zürich")

    assert (job.market.code, job.city, job.currency) == ("ch", "Zürich", "CHF")
    assert job.address == "Bahnhofstrasse 1, 8001 Zürich"
    # CHF 60 helper fee, 20 % commission; technician CHF 80 + CHF 140 for an hour.
    assert (job.price, job.platform_fee, job.helper_payout) == (6_000, 1_200, 4_800)
    assert (job.professional_price, job.professional_install_free) == (22_000, False)
    assert (job.approx_lat, job.approx_lng) == geo.approx_point(job.lat, job.lng)
    assert (job.approx_lat, job.approx_lng) != (job.lat, job.lng)
    assert job.contact_phone == "+41 79 111"  # from the profile unless given
    assert job.description == DESCRIPTION
    event = JobEvent.objects.get(job=job, kind="posted")
    assert (event.from_status, event.to_status, event.actor_id) == ("", "open", alice.pk)
    assert event.data == {
        "price": 6_000,
        "professional_price": 22_000,
        "professional_list_price": 22_000,
        "professional_install_free": False,
        "choice": "helper",
    }


def test_posting_with_coordinates_reverse_geocodes_city_and_market(alice, router_wifi, now):
    job = post(alice, router_wifi, now, lat=WARSAW[0], lng=WARSAW[1], contact_phone="+48 600")

    assert (job.market.code, job.city, job.currency, job.address) == ("pl", "Warszawa", "PLN", "")
    assert (job.lat, job.lng) == WARSAW
    # Orange Polska case: the professional installation is free, so the saving is negative.
    assert (job.professional_price, job.professional_install_free) == (0, True)
    assert (job.price, job.platform_fee, job.helper_payout) == (6_000, 900, 5_100)
    assert job.contact_phone == "+48 600"
    assert job.status == JobStatus.EXPIRED  # nobody helps in Warsaw in this test


def test_coordinates_outside_every_market_are_refused(alice, router_wifi):
    with pytest.raises(ValidationFailed) as exc:
        post(alice, router_wifi, lat=48.8566, lng=2.3522)  # Paris
    assert exc.value.code == "no_market"


def test_an_inactive_market_takes_no_requests(alice, router_wifi):
    Market.objects.filter(code="ch").update(is_active=False)

    with pytest.raises(ValidationFailed) as exc:
        post(alice, router_wifi)
    assert exc.value.code == "no_market"


def test_a_category_missing_from_the_price_book_is_refused(alice, router_wifi):
    PriceBookEntry.objects.filter(market__code="ch", category=router_wifi).delete()

    with pytest.raises(ValidationFailed) as exc:
        post(alice, router_wifi)
    assert exc.value.code == "not_offered"


def test_an_inactive_category_is_refused(alice, router_wifi):
    router_wifi.is_active = False
    router_wifi.save()

    with pytest.raises(ValidationFailed):
        post(alice, router_wifi)


def test_an_unknown_address_is_refused(alice, router_wifi):
    with pytest.raises(ValidationFailed) as exc:
        post(alice, router_wifi, lat=None, lng=None, address="Nowhere Lane 1, Atlantis")
    assert exc.value.code == "geocoding_failed"


@pytest.mark.parametrize(
    "where",
    [
        {"lat": None, "lng": None, "address": ""},
        {"lat": ZURICH[0], "lng": None},
        {"lat": 95.0, "lng": 8.5},
        {"lat": float("nan"), "lng": 8.5},
    ],
    ids=["nothing", "lat-only", "lat-out-of-range", "nan"],
)
def test_location_must_be_an_address_or_valid_coordinates(alice, router_wifi, where):
    with pytest.raises(ValidationFailed):
        post(alice, router_wifi, **where)


def test_only_customers_post(bob, olga, router_wifi):
    for user in (bob, olga):
        with pytest.raises(NotAllowed):
            post(user, router_wifi)


@pytest.mark.parametrize("description", ["", "   too short   ", "x" * 4001])
def test_description_must_be_10_to_4000_characters(alice, router_wifi, description):
    with pytest.raises(ValidationFailed):
        post(alice, router_wifi, description=description)


def test_description_limits_are_inclusive_and_whitespace_is_trimmed(alice, router_wifi):
    assert post(alice, router_wifi, description="  0123456789  ").description == "0123456789"
    assert len(post(alice, router_wifi, description="x" * 4000).description) == 4000


def test_window_defaults_to_the_next_four_hours(alice, router_wifi, now):
    job = post(alice, router_wifi, now)
    assert (job.window_start, job.window_end) == (now, now + timedelta(hours=4))


def test_window_start_in_the_past_is_moved_up_to_now(alice, router_wifi, now):
    job = post(
        alice,
        router_wifi,
        now,
        window_start=now - timedelta(hours=3),
        window_end=now + timedelta(hours=1),
    )
    assert job.window_start == now - timedelta(minutes=5)


@pytest.mark.parametrize(
    "start, end",
    [
        (timedelta(hours=2), timedelta(hours=1)),  # ends before it starts
        (timedelta(hours=2), timedelta(hours=2)),  # empty
        (-timedelta(hours=3), -timedelta(hours=1)),  # over
        (timedelta(hours=1), timedelta(days=15)),  # longer than 14 days
        (timedelta(days=61), timedelta(days=61, hours=2)),  # more than 60 days ahead
    ],
    ids=["reversed", "empty", "past", "too-long", "too-far-ahead"],
)
def test_window_rules(alice, router_wifi, now, start, end):
    with pytest.raises(ValidationFailed):
        post(alice, router_wifi, now, window_start=now + start, window_end=now + end)


def test_window_of_exactly_14_days_is_allowed(alice, router_wifi, now):
    job = post(alice, router_wifi, now, window_end=now + timedelta(days=14))
    assert job.window_end - job.window_start == timedelta(days=14)


def test_window_times_need_a_time_zone(alice, router_wifi):
    naive = datetime.now() + timedelta(hours=1)
    with pytest.raises(ValidationFailed, match="time zone"):
        post(alice, router_wifi, window_start=naive, window_end=naive + timedelta(hours=2))
