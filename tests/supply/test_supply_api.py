"""/api/operator/supply: figures, imbalances and fee suggestions for operators only; bad
parameters answer 422, never 500; applying a suggestion is re-checked and recorded."""

from datetime import date, timedelta

import pytest

from marketplace.pricing.models import PriceBookEntry, PriceChange
from marketplace.supply.selectors import market_today
from tests.supply_rows import stat, zurich_cell

pytestmark = pytest.mark.django_db

SUPPLY = "/api/operator/supply"
IMBALANCES = "/api/operator/supply/imbalances"
SUGGESTIONS = "/api/operator/supply/fee-suggestions"
APPLY = "/api/operator/supply/fee-suggestions/apply"


@pytest.fixture
def operator(api_as, olga):
    return api_as(olga)


@pytest.fixture
def entry(ch, router_wifi):
    return PriceBookEntry.objects.get(market=ch, category=router_wifi)


@pytest.fixture
def figures(ch, router_wifi):
    """Two Zürich cells today: one short of helpers (12 requests, 2 helpers, 4 accepted after
    2.5 h), one with helpers to spare (6 requests, 30 helpers, all accepted within 2 min)."""
    today = market_today(ch)
    short = zurich_cell(ch)
    spare = zurich_cell(ch, 0, 1)
    stat(market=ch, category=router_wifi, cell=short, day=today, requests=12, helpers=2,
         accepted=4, median=9000)  # fmt: skip
    stat(market=ch, category=router_wifi, cell=spare, day=today, requests=6, helpers=30,
         accepted=6, median=120)  # fmt: skip
    return {"short": short, "spare": spare, "today": today}


@pytest.mark.parametrize(
    "path", [f"{SUPPLY}?market=ch", f"{IMBALANCES}?market=ch", f"{SUGGESTIONS}?market=ch"]
)
def test_reads_are_for_operators_only(api_as, alice, bob, olga, path, ch):
    assert api_as().client.get(path).status_code == 401
    for user in (alice, bob):
        client = api_as(user)
        resp = client.client.get(path, headers=client.headers)
        assert resp.status_code == 403, user
        assert resp.json()["code"] == "forbidden"
    client = api_as(olga)
    assert client.client.get(path, headers=client.headers).status_code == 200


def test_applying_is_for_operators_only(api_as, alice, bob, entry, figures):
    body = {"entry_id": entry.pk, "suggested_fee": 6600}
    assert api_as().post(APPLY, body).status_code == 401
    assert api_as(alice).post(APPLY, body).status_code == 403
    assert api_as(bob).post(APPLY, body).status_code == 403
    assert not PriceChange.objects.exists()


def test_it_lists_cells_with_their_figures(operator, figures):
    resp = operator.get(SUPPLY, market="ch", category="router-wifi", period="week")
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert (body["market"], body["category"], body["period"], body["cell_km"]) == (
        "ch",
        "router-wifi",
        "week",
        5,
    )
    cells = {c["cell"]: c for c in body["cells"]}
    short = cells[figures["short"].key]
    assert (short["requests"], short["active_helpers"], short["accepted"]) == (12, 2, 4)
    assert (short["demand_supply_ratio"], short["fill_rate"], short["no_helpers"]) == (
        6.0,
        0.3333,
        False,
    )
    assert short["median_time_to_accept_s"] == 9000
    assert short["south"] < short["centre_lat"] < short["north"]
    week_start = figures["today"] - timedelta(days=figures["today"].weekday())
    assert short["period_start"] == week_start.isoformat()

    series = operator.get(SUPPLY, market="ch", cell=figures["spare"].key, period="day").json()
    assert [c["cell"] for c in series["cells"]] == [figures["spare"].key]


def test_no_helpers_is_explicit(operator, ch, router_wifi):
    stat(market=ch, category=router_wifi, cell=zurich_cell(ch), day=market_today(ch),
         requests=3, helpers=0)  # fmt: skip
    (cell,) = operator.get(SUPPLY, market="ch").json()["cells"]
    assert (cell["demand_supply_ratio"], cell["no_helpers"], cell["active_helpers"]) == (
        None,
        True,
        0,
    )


def test_imbalances_rank_cells_with_enough_requests(operator, figures):
    body = operator.get(IMBALANCES, market="ch").json()
    assert body["min_requests"] == 5
    assert [c["cell"] for c in body["undersupplied"]] == [
        figures["short"].key,
        figures["spare"].key,
    ]
    assert [c["cell"] for c in body["oversupplied"]] == [
        figures["spare"].key,
        figures["short"].key,
    ]
    body = operator.get(IMBALANCES, market="ch", min_requests=7, limit=1).json()
    assert [c["cell"] for c in body["undersupplied"]] == [figures["short"].key]
    assert [c["cell"] for c in body["oversupplied"]] == [figures["short"].key]


def test_fee_suggestions_and_applying_one(operator, olga, entry, figures):
    body = operator.get(SUGGESTIONS, market="ch", category="router-wifi").json()
    (s,) = body
    assert (s["entry_id"], s["direction"], s["current_fee"], s["suggested_fee"]) == (
        entry.pk,
        "raise",
        6000,
        6600,
    )
    assert (s["lowest_fee"], s["highest_fee"], s["areas"], s["requests"]) == (3000, 10000, 2, 18)
    assert s["reason"].startswith("Demand/supply 0.6 and fill rate 56 %")

    resp = operator.post(APPLY, {"entry_id": entry.pk, "suggested_fee": 6600})
    assert resp.status_code == 200, resp.content
    assert (resp.json()["previous_fee"], resp.json()["helper_fee"]) == (6000, 6600)
    change = PriceChange.objects.get()
    assert (change.source, change.changed_by, change.reason) == ("suggestion", olga, s["reason"])

    by_area = operator.get(SUGGESTIONS, market="ch", category="router-wifi", by_area=True).json()
    assert {s["cell"] for s in by_area} == {figures["short"].key, figures["spare"].key}


def test_applying_re_checks_the_fee(operator, entry, figures):
    resp = operator.post(APPLY, {"entry_id": entry.pk, "suggested_fee": 25_000})
    assert resp.status_code == 422
    assert "between 3000 and 10000" in resp.json()["detail"]
    assert operator.post(APPLY, {"entry_id": 999_999, "suggested_fee": 6600}).status_code == 404
    assert operator.post(APPLY, {"entry_id": entry.pk, "suggested_fee": -1}).status_code == 422
    assert operator.post(APPLY, {"entry_id": entry.pk}).status_code == 422
    assert operator.post(APPLY, {"entry_id": entry.pk, "suggested_fee": 6000}).status_code == 422
    assert not PriceChange.objects.exists()


@pytest.mark.parametrize(
    ("path", "params", "message"),
    [
        (SUPPLY, {}, "market"),
        (SUPPLY, {"market": "xx"}, "Unknown market"),
        (SUPPLY, {"market": "ch", "category": "nope"}, "Unknown category"),
        (SUPPLY, {"market": "ch", "period": "year"}, "period"),
        (SUPPLY, {"market": "ch", "start": "2026-13-01"}, "start"),
        (SUPPLY, {"market": "ch", "start": "2026-03-02", "end": "2026-03-01"}, "after"),
        (SUPPLY, {"market": "ch", "start": "2020-01-01", "end": "2026-03-01"}, "at most"),
        (SUPPLY, {"market": "ch", "cell": "abc"}, "cell"),
        (IMBALANCES, {"market": "ch", "limit": 0}, "limit"),
        (IMBALANCES, {"market": "ch", "min_requests": "many"}, "min_requests"),
        (SUGGESTIONS, {"market": "ch", "by_area": "perhaps"}, "by_area"),
    ],
)
def test_bad_parameters_answer_422_with_a_message(operator, ch, path, params, message):
    resp = operator.get(path, **params)
    assert resp.status_code == 422, resp.content
    assert message in resp.json()["detail"]
    assert resp.json()["code"] == "invalid"


def test_explicit_dates_are_honoured(operator, figures):
    today = figures["today"]
    body = operator.get(
        SUPPLY, market="ch", period="day", start=today.isoformat(), end=today.isoformat()
    ).json()
    assert (body["start"], body["end"]) == (today.isoformat(), today.isoformat())
    assert len(body["cells"]) == 2
    earlier = date(2025, 1, 1)
    body = operator.get(SUPPLY, market="ch", start=earlier.isoformat(), end="2025-01-31").json()
    assert body["cells"] == []
    assert body["refreshed_at"] is None  # reads never recompute; the periodic task does
