"""/api/operator/economics: the economics figures for operators only (customers and helpers
403, anonymous 401); bad parameters answer 422 with a message, never 500."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from marketplace.jobs.models import JobStatus
from marketplace.supply.cells import grid_for
from tests.factories import job_at, posted_job

pytestmark = pytest.mark.django_db

BASE = "/api/operator/economics"
TZ = ZoneInfo("Europe/Zurich")
WINDOW = {"market": "ch", "start": "2026-03-02", "end": "2026-03-15"}
READS = ["metrics", "weekly", "monthly", "areas", "choice"]


@pytest.fixture
def operator(api_as, olga):
    return api_as(olga)


@pytest.fixture
def confirmed(alice, bob, router_wifi, django_capture_on_commit_callbacks):
    """One router set-up on Tuesday 3 March, accepted after 10 minutes and confirmed, and one
    request for a professional on the 15th (the last day, inclusive)."""
    t = datetime(2026, 3, 3, 9, tzinfo=TZ)
    common = {
        "customer": alice,
        "category": router_wifi,
        "description": "Please set up my new router",
    }
    job = job_at(
        JobStatus.CONFIRMED,
        helper=bob,
        now=t,
        times={
            JobStatus.ACCEPTED: t + timedelta(minutes=10),
            JobStatus.IN_PROGRESS: t + timedelta(minutes=40),
            JobStatus.COMPLETED: t + timedelta(hours=1),
            JobStatus.CONFIRMED: t + timedelta(hours=2),
        },
        commit_hooks=django_capture_on_commit_callbacks,
        **common,
    )
    posted_job(**common, fulfilment="professional", now=datetime(2026, 3, 15, 23, 59, tzinfo=TZ))
    return job


@pytest.mark.parametrize("path", [*READS, "whatif"])
def test_it_is_for_operators_only(api_as, alice, bob, olga, ch, path):
    call = "post" if path == "whatif" else "get"
    url = f"{BASE}/{path}?market=ch"

    def status(client):
        return getattr(client.client, call)(
            url, headers=client.headers, content_type="application/json"
        )

    anonymous = status(api_as())
    assert anonymous.status_code == 401
    assert anonymous.json()["code"] == "unauthorized"
    for user in (alice, bob):
        resp = status(api_as(user))
        assert resp.status_code == 403, user
        assert resp.json() == {"detail": "Operators only", "code": "forbidden"}
    assert status(api_as(olga)).status_code == 200


def test_metrics_as_json(operator, confirmed):
    resp = operator.get(f"{BASE}/metrics", **WINDOW)
    assert resp.status_code == 200, resp.json()
    body = resp.json()
    assert body["scope"] == {
        "market": "ch",
        "currency": "CHF",
        "category": None,
        "cell": None,
        "start": "2026-03-02",
        "end": "2026-03-15",
        "fill_within_minutes": 60,
    }
    assert (body["posted"], body["helper_requests"], body["confirmed"]) == (2, 1, 1)
    assert (body["fill_rate"], body["median_accept_seconds"]) == (1.0, 600)
    assert (body["gmv"], body["fees"], body["net_revenue"]) == (6_000, 1_200, 1_200)
    assert body["processing_costs"] == 174 + 30
    assert body["contribution_margin_per_job"] == 1_200 - 204
    assert body["break_even_jobs_per_month"] == 804  # ⌈800000 ÷ 996⌉ = ⌈803.2⌉
    assert body["break_even_note"] == "Needs 804 jobs a month"
    assert body["months"] == pytest.approx(14 / 30.44)


def test_the_scope_parameters_narrow_the_figures(operator, confirmed, ch):
    cell = grid_for(ch).cell_of(confirmed.lat, confirmed.lng)
    params = {**WINDOW, "category": "router-wifi", "cell": f"{cell.y}:{cell.x}"}
    body = operator.get(f"{BASE}/metrics", **params).json()
    assert body["scope"]["cell"] == f"{cell.y}:{cell.x}"
    assert body["posted"] == 2
    elsewhere = {**params, "cell": f"{cell.y}:{cell.x + 5}"}
    assert operator.get(f"{BASE}/metrics", **elsewhere).json()["posted"] == 0
    early = {**WINDOW, "end": "2026-03-14"}  # the professional request was on the 15th
    assert operator.get(f"{BASE}/metrics", **early).json()["posted"] == 1
    slow = {**WINDOW, "fill_within_minutes": 5}
    assert operator.get(f"{BASE}/metrics", **slow).json()["fill_rate"] == 0.0


def test_without_dates_the_last_period_up_to_today(operator, ch):
    body = operator.get(f"{BASE}/metrics", market="ch", period="week").json()
    start, end = body["scope"]["start"], body["scope"]["end"]
    assert (datetime.fromisoformat(end) - datetime.fromisoformat(start)).days == 6
    body = operator.get(f"{BASE}/weekly", market="ch", start="2026-01-05").json()
    assert body["scope"]["end"] == "2026-02-03"  # 30 days from the start


def test_weekly_monthly_areas_and_choice(operator, confirmed):
    weeks = operator.get(f"{BASE}/weekly", **WINDOW).json()["weeks"]
    assert [(w["week_start"], w["posted"], w["confirmed"]) for w in weeks] == [
        ("2026-03-02", 1, 1),
        ("2026-03-09", 1, 0),
    ]
    (month,) = operator.get(f"{BASE}/monthly", **WINDOW).json()["months"]
    assert (month["month"], month["net_revenue"], month["break_even_jobs"]) == (
        "2026-03-01",
        1_200,
        804,
    )
    body = operator.get(f"{BASE}/areas", **WINDOW).json()
    (area,) = body["areas"]
    assert body["cell_km"] == 5
    assert area["cell_key"] == f"{area['cell'][0]}:{area['cell'][1]}"
    assert (area["posted"], area["helper_requests"], area["active_helpers"]) == (2, 1, 1)
    body = operator.get(f"{BASE}/choice", **WINDOW).json()
    assert body["points"] == [
        {
            "price_ratio": 6_000 / 22_000,
            "quotes": 2,
            "chose_helper": 1,
            "price": 6_000,
            "professional_list_price": 22_000,
            "professional_install_free": False,
        }
    ]
    assert body["model"]["source"] == "prior (fewer than 30 observations)"


def test_whatif_projects_with_the_changes_and_todays_values(operator, confirmed):
    resp = operator.post(f"{BASE}/whatif?market=ch&category=router-wifi", {"helper_fee": 5_000})
    assert resp.status_code == 200, resp.json()
    body = resp.json()
    assert body["current"]["helper_fee"] == 6_000
    assert body["whatif"] == {
        "helper_fee": 5_000,
        "commission_bps": 2_000,
        "professional_price": 22_000,
        "fixed_cost_per_month": 800_000,
        "professional_install_free": False,
    }
    assert body["price_ratio"] == 5_000 / 22_000
    assert body["fee_per_job"] == 1_000
    assert body["processing_per_job"] == 145 + 30
    assert body["margin_per_job"] == 825
    assert body["break_even_jobs_per_month"] == 970  # ⌈800000 ÷ 825⌉
    assert body["model"]["source"].startswith("prior")
    assert body["model"]["pseudo_r2"] is None or body["model"]["pseudo_r2"] <= 1
    assert body["scope"]["start"] < body["scope"]["end"]


def test_whatif_without_a_body_projects_todays_prices(operator, confirmed):
    body = operator.post(f"{BASE}/whatif?market=ch&start=2026-03-02&end=2026-03-15").json()
    assert body["whatif"] == body["current"]
    assert body["requests_per_month"] == pytest.approx(2 / (14 / 30.44))


@pytest.mark.parametrize(
    ("path", "params", "message"),
    [
        ("metrics", {"market": "xx"}, "Unknown market"),
        ("metrics", {"market": "ch", "category": "nope"}, "Unknown category"),
        ("weekly", {"market": "ch", "start": "2026-03-10", "end": "2026-03-01"}, "start"),
        ("monthly", {"market": "ch", "start": "2020-01-01", "end": "2026-03-01"}, "at most"),
        ("areas", {"market": "ch", "cell": "12"}, "cell id"),
        ("choice", {"market": "ch", "start": "yesterday"}, "start"),
        ("metrics", {"market": "ch", "fill_within_minutes": 0}, "fill_within_minutes"),
        ("metrics", {"market": "ch", "period": "decade"}, "period"),
        ("metrics", {}, "market"),
    ],
)
def test_bad_parameters_answer_422_with_a_message(operator, ch, path, params, message):
    resp = operator.get(f"{BASE}/{path}", **params)
    assert resp.status_code == 422, resp.json()
    assert resp.json()["code"] == "invalid"
    assert message in resp.json()["detail"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"helper_fee": 0}, "helper_fee"),
        ({"commission_bps": 10_001}, "commission_bps"),
        ({"professional_price": -5}, "professional_price"),
        ({"fixed_cost_per_month": "lots"}, "fixed_cost_per_month"),
    ],
)
def test_bad_whatifs_answer_422(operator, ch, body, message):
    resp = operator.post(f"{BASE}/whatif?market=ch", body)
    assert resp.status_code == 422
    assert message in resp.json()["detail"]


def test_whatif_is_not_per_cell(operator, ch):
    resp = operator.post(f"{BASE}/whatif?market=ch&cell=1:2", {})
    assert resp.status_code == 422
    assert "not per cell" in resp.json()["detail"]


def test_the_operations_are_documented(operator):
    schema = operator.get("/api/openapi.json").json()
    for path in READS:
        operation = schema["paths"][f"{BASE}/{path}"]["get"]
        assert {"200", "401", "403", "422"} <= set(operation["responses"])
    assert {"200", "401", "403", "422"} <= set(
        schema["paths"][f"{BASE}/whatif"]["post"]["responses"]
    )
