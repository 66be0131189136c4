"""The quote/choice summary: what customers were quoted and what they chose, per category."""

from datetime import timedelta

import pytest
from django.utils import timezone

from marketplace.jobs.selectors import quote_choices
from marketplace.jobs.services import job_post

pytestmark = pytest.mark.django_db


def post(customer, category, address, **extra):
    return job_post(
        customer=customer,
        category=category,
        description="Please help with the set-up",
        address=address,
        **extra,
    )


def test_choices_and_quoted_prices_are_summarised_per_category(alice, mallory, ch, pl, router_wifi):
    post(alice, router_wifi, "Bahnhofstrasse 1, 8001 Zürich")
    post(mallory, router_wifi, "Bahnhofstrasse 1, 8001 Zürich", fulfilment="professional")
    post(alice, router_wifi, "Marszałkowska 1, Warszawa")  # another market: not counted
    now = timezone.now()

    rows = quote_choices(market=ch, start=now - timedelta(hours=1), end=now + timedelta(hours=1))

    assert rows == [
        {
            "category": "router-wifi",
            "requests": 2,
            "chose_helper": 1,
            "chose_professional": 1,
            "free_install": 0,
            "mean_helper_price": 6_000,
            "mean_professional_price": 22_000,
        }
    ]


def test_the_period_bounds_are_half_open(alice, ch, router_wifi):
    job = post(alice, router_wifi, "Bahnhofstrasse 1, 8001 Zürich")
    assert quote_choices(market=ch, start=job.created_at, end=job.created_at + timedelta(1))
    assert quote_choices(market=ch, start=job.created_at - timedelta(1), end=job.created_at) == []


def test_the_polish_free_installation_is_counted(alice, pl, router_wifi):
    post(alice, router_wifi, "Marszałkowska 1, Warszawa")
    now = timezone.now()
    (row,) = quote_choices(market=pl, start=now - timedelta(hours=1), end=now + timedelta(1))
    assert (row["free_install"], row["mean_professional_price"]) == (1, 0)
