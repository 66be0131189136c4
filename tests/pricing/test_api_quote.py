"""GET /api/quote: the helper price next to a professional visit (DESIGN §5)."""

import pytest
from django.test import Client

from marketplace.pricing.models import PriceBookEntry
from marketplace.pricing.reference import CATEGORIES, MARKETS

pytestmark = pytest.mark.django_db


def _quote(market: str, category: str):
    return Client().get("/api/quote", {"market": market, "category": category})


def test_swiss_router_help_against_a_technician(reference):
    """CHF 80 call-out + CHF 140/h for the typical hour = CHF 220, against a CHF 60 helper."""
    resp = _quote("ch", "router-wifi")
    assert resp.status_code == 200
    assert resp.json() == {
        "market": "ch",
        "category": "router-wifi",
        "currency": "CHF",
        "helper_price": 6_000,
        "professional_price": 22_000,
        "professional_list_price": 22_000,
        "professional_install_free": False,
        "saving": 16_000,
        "saving_percent": 73,  # 160 / 220 = 72.7 %, rounded half up
        "platform_fee": 1_200,  # 20 % commission
        "helper_payout": 4_800,
    }


def test_polish_router_install_is_free_from_the_operator(reference):
    body = _quote("pl", "router-wifi").json()
    assert body["currency"] == "PLN"
    assert body["professional_install_free"] is True
    assert body["professional_price"] == 0
    assert body["professional_list_price"] == 15_000  # 25 zł call-out + 125 zł/h × 1 h
    assert body["saving"] == -body["helper_price"]  # the helper costs more than the free visit
    assert body["saving_percent"] == 0


@pytest.mark.parametrize("market", sorted(MARKETS))
@pytest.mark.parametrize("category", [slug for slug, *_ in CATEGORIES])
def test_every_quote_splits_the_price_exactly(reference, market, category):
    resp = _quote(market, category)
    assert resp.status_code == 200, resp.content
    q = resp.json()
    assert q["platform_fee"] + q["helper_payout"] == q["helper_price"]
    assert 0 < q["platform_fee"] < q["helper_price"]
    assert q["saving"] == q["professional_price"] - q["helper_price"]
    assert q["professional_price"] in (0, q["professional_list_price"])
    assert all(isinstance(q[k], int) for k in ("helper_price", "platform_fee", "helper_payout"))


def test_the_quote_on_a_posted_job_matches_the_public_quote(api_as, alice, reference):
    resp = api_as(alice).post(
        "/api/jobs",
        {
            "category": "router-wifi",
            "description": "Router lost all its settings",
            "address": "Bahnhofstrasse 1, 8001 Zürich",
        },
    )
    assert resp.status_code == 201
    on_job = resp.json()["quote"]
    public = _quote("ch", "router-wifi").json()
    for key in on_job:
        assert on_job[key] == public[key], key


@pytest.mark.parametrize(
    ("market", "category"),
    [("xx", "router-wifi"), ("CH", "router-wifi"), ("", "router-wifi"), ("ch", "plumbing")],
)
def test_an_unknown_market_or_category_is_404(reference, market, category):
    resp = _quote(market, category)
    assert resp.status_code == 404, resp.content
    assert resp.json()["code"] == "not_found"


@pytest.mark.parametrize("query", [{}, {"market": "ch"}, {"category": "router-wifi"}])
def test_market_and_category_are_required(reference, query):
    resp = Client().get("/api/quote", query)
    assert resp.status_code == 422
    assert resp.json()["code"] == "invalid"


def test_a_category_not_offered_in_a_market_is_422(reference):
    PriceBookEntry.objects.filter(market__code="ch", category__slug="pc-help").delete()
    resp = _quote("ch", "pc-help")
    assert resp.status_code == 422
    assert resp.json()["code"] == "not_offered"
