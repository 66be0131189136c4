"""Operators read and change markets and the price book through /api/operator; every change is
recorded with source "api". Money is integer minor units; PATCH changes only the fields sent."""

import pytest

from marketplace.pricing.models import Market, PriceBookEntry, PriceChange
from marketplace.pricing.services import market_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(api_as, olga):
    return api_as(olga)


def calls(entry: PriceBookEntry) -> list[tuple[str, str, dict | None]]:
    return [
        ("get", "/api/operator/markets", None),
        ("patch", f"/api/operator/markets/{entry.market_id}", {"reason": "x", "dispatch_k": 5}),
        ("get", "/api/operator/prices?market=ch", None),
        ("patch", f"/api/operator/prices/{entry.pk}", {"reason": "x", "helper_fee": 5000}),
        ("get", "/api/operator/price-changes", None),
    ]


def call(client, method: str, path: str, body):
    return client.get(path) if method == "get" else client.patch(path, body)


# --- who may call -------------------------------------------------------------------------------


def test_anonymous_callers_get_401_and_change_nothing(api_as, ch_router):
    for method, path, body in calls(ch_router):
        resp = call(api_as(), method, path, body)
        assert resp.status_code == 401, path
        assert resp.json()["code"] == "unauthorized"
    ch_router.refresh_from_db()
    assert (ch_router.helper_fee, ch_router.market.dispatch_k) == (6000, 3)
    assert not PriceChange.objects.exists()


@pytest.mark.parametrize("who", ["alice", "bob"])
def test_customers_and_helpers_get_403_and_change_nothing(api_as, request, ch_router, who):
    client = api_as(request.getfixturevalue(who))
    for method, path, body in calls(ch_router):
        resp = call(client, method, path, body)
        assert resp.status_code == 403, path
        assert resp.json() == {"detail": "Operators only", "code": "forbidden"}
    ch_router.refresh_from_db()
    assert (ch_router.helper_fee, ch_router.market.dispatch_k) == (6000, 3)
    assert not PriceChange.objects.exists()


def test_operators_may_call_every_endpoint(operator, ch_router):
    for method, path, body in calls(ch_router):
        assert call(operator, method, path, body).status_code == 200, path


# --- markets ------------------------------------------------------------------------------------


def test_operators_see_every_market_with_its_settings(operator, ch, pl):
    market_update(market=pl, actor=None, is_active=False)
    body = operator.get("/api/operator/markets").json()
    assert [m["code"] for m in body] == ["pl", "ch"]
    swiss = body[1]
    assert swiss == {
        "id": ch.pk,
        "code": "ch",
        "name": "Switzerland",
        "country": "CH",
        "currency": "CHF",
        "language": "de",
        "time_zone": "Europe/Zurich",
        "commission_bps": 2000,
        "fixed_cost_per_month": 800_000,
        "cancellation_free_minutes": 60,
        "cancellation_fee": 2000,
        "dispatch_k": 3,
        "offer_deadline_minutes": 15,
        "radius_steps_km": "2,5,10,25",
        "max_radius_km": 25,
        "is_active": True,
    }
    assert body[0]["is_active"] is False


def test_patching_a_market_changes_only_the_fields_sent_and_records_them(operator, ch, olga):
    resp = operator.patch(
        f"/api/operator/markets/{ch.pk}",
        {"reason": "Q3 review", "commission_bps": 1750, "cancellation_fee": 2500},
    )
    assert resp.status_code == 200, resp.content
    assert (resp.json()["commission_bps"], resp.json()["cancellation_fee"]) == (1750, 2500)
    ch.refresh_from_db()
    assert (ch.commission_bps, ch.cancellation_fee, ch.dispatch_k) == (1750, 2500, 3)
    rows = {c.field: c for c in PriceChange.objects.all()}
    assert set(rows) == {"commission_bps", "cancellation_fee"}
    assert (rows["commission_bps"].old_value, rows["commission_bps"].new_value) == ("2000", "1750")
    assert all(
        (c.changed_by, c.source, c.reason, c.entry) == (olga, "api", "Q3 review", None)
        for c in rows.values()
    )


def test_a_commission_above_100_percent_is_422_and_nothing_changes(operator, ch):
    resp = operator.patch(
        f"/api/operator/markets/{ch.pk}", {"reason": "oops", "commission_bps": 10_001}
    )
    assert resp.status_code == 422
    assert resp.json()["code"] == "invalid"
    assert "commission_bps" in resp.json()["detail"]
    ch.refresh_from_db()
    assert ch.commission_bps == 2000
    assert not PriceChange.objects.exists()


def test_bad_radius_steps_are_422_with_the_services_message(operator, ch):
    resp = operator.patch(
        f"/api/operator/markets/{ch.pk}",
        {"reason": "x", "radius_steps_km": "2,five", "dispatch_k": 4},
    )
    assert resp.status_code == 422
    assert resp.json()["detail"] == "Radius steps must be numbers separated by commas"
    ch.refresh_from_db()
    assert (ch.radius_steps_km, ch.dispatch_k) == ("2,5,10,25", 3)
    assert not PriceChange.objects.exists()


def test_an_unknown_time_zone_is_422(operator, ch):
    resp = operator.patch(
        f"/api/operator/markets/{ch.pk}", {"reason": "x", "time_zone": "Mars/Olympus"}
    )
    assert resp.status_code == 422
    assert "unknown time zone" in resp.json()["detail"]
    ch.refresh_from_db()
    assert ch.time_zone == "Europe/Zurich"


def test_a_patch_without_a_reason_is_422(operator, ch):
    resp = operator.patch(f"/api/operator/markets/{ch.pk}", {"dispatch_k": 5})
    assert resp.status_code == 422
    assert "reason" in resp.json()["detail"]
    resp = operator.patch(f"/api/operator/markets/{ch.pk}", {"reason": "", "dispatch_k": 5})
    assert resp.status_code == 422
    ch.refresh_from_db()
    assert ch.dispatch_k == 3


def test_null_is_refused_for_settings_that_cannot_be_empty(operator, ch):
    resp = operator.patch(f"/api/operator/markets/{ch.pk}", {"reason": "x", "dispatch_k": None})
    assert resp.status_code == 422
    ch.refresh_from_db()
    assert ch.dispatch_k == 3


def test_an_unknown_market_id_is_404(operator, reference):
    resp = operator.patch("/api/operator/markets/99999", {"reason": "x", "dispatch_k": 5})
    assert resp.status_code == 404
    assert resp.json()["code"] == "not_found"


# --- the price book -----------------------------------------------------------------------------


def test_the_price_book_of_a_market_comes_with_each_quote(operator, ch_router):
    body = operator.get("/api/operator/prices", market="ch").json()
    assert len(body) == PriceBookEntry.objects.filter(market__code="ch").count()
    router = next(e for e in body if e["category"] == "router-wifi")
    assert router["id"] == ch_router.pk
    assert (router["market"], router["currency"]) == ("ch", "CHF")
    assert (router["helper_fee"], router["min_helper_fee"], router["max_helper_fee"]) == (
        6000,
        3000,
        10_000,
    )
    assert router["pro_flat_price"] is None
    assert router["quote"] == {
        "helper_price": 6000,
        "professional_price": 22_000,
        "professional_list_price": 22_000,
        "professional_install_free": False,
        "saving": 16_000,
        "saving_percent": 73,
        "platform_fee": 1200,
        "helper_payout": 4800,
    }


def test_an_unknown_market_code_is_422(operator, reference):
    resp = operator.get("/api/operator/prices", market="xx")
    assert resp.status_code == 422
    assert resp.json() == {"detail": "Unknown market: xx", "code": "unknown_market"}


def test_the_market_is_required_for_the_price_book(operator, reference):
    resp = operator.get("/api/operator/prices")
    assert resp.status_code == 422
    assert "market" in resp.json()["detail"]


def test_patching_a_price_changes_only_the_fields_sent_and_records_it(operator, ch_router, olga):
    resp = operator.patch(
        f"/api/operator/prices/{ch_router.pk}", {"reason": "promo", "helper_fee": 4550}
    )
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert body["helper_fee"] == 4550
    assert (body["quote"]["helper_price"], body["quote"]["helper_payout"]) == (4550, 3640)
    ch_router.refresh_from_db()
    assert (ch_router.helper_fee, ch_router.pro_callout_fee, ch_router.pro_install_free) == (
        4550,
        8000,
        False,
    )
    change = PriceChange.objects.get()
    assert (change.entry, change.field, change.old_value, change.new_value) == (
        ch_router,
        "helper_fee",
        "6000",
        "4550",
    )
    assert (change.changed_by, change.source, change.reason) == (olga, "api", "promo")


def test_a_flat_price_can_be_set_and_removed_with_null(operator, ch_router):
    path = f"/api/operator/prices/{ch_router.pk}"
    assert (
        operator.patch(path, {"reason": "x", "pro_flat_price": 19_900}).json()["quote"][
            "professional_price"
        ]
        == 19_900
    )
    body = operator.patch(path, {"reason": "y", "pro_flat_price": None}).json()
    assert body["pro_flat_price"] is None
    assert body["quote"]["professional_price"] == 22_000
    assert list(PriceChange.objects.values_list("new_value", flat=True)) == ["", "19900"]


def test_a_fee_above_the_maximum_is_422_and_nothing_changes(operator, ch_router):
    resp = operator.patch(
        f"/api/operator/prices/{ch_router.pk}", {"reason": "x", "helper_fee": 10_001}
    )
    assert resp.status_code == 422
    assert "between" in resp.json()["detail"]
    ch_router.refresh_from_db()
    assert ch_router.helper_fee == 6000
    assert not PriceChange.objects.exists()


def test_amounts_must_be_whole_minor_units(operator, ch_router):
    path = f"/api/operator/prices/{ch_router.pk}"
    for bad in (45.5, -100, "lots", None):
        resp = operator.patch(path, {"reason": "x", "helper_fee": bad})
        assert resp.status_code == 422, bad
        assert "helper_fee" in resp.json()["detail"]
    ch_router.refresh_from_db()
    assert ch_router.helper_fee == 6000
    assert not PriceChange.objects.exists()


def test_an_unknown_price_entry_is_404(operator, reference):
    resp = operator.patch("/api/operator/prices/99999", {"reason": "x", "helper_fee": 5000})
    assert resp.status_code == 404


# --- history ------------------------------------------------------------------------------------


def test_the_history_is_newest_first_with_who_what_and_why(operator, some_history, olga, ch):
    body = operator.get("/api/operator/price-changes").json()
    assert [c["reason"] for c in body] == ["third", "second", "first"]
    first = body[2]
    assert {k: v for k, v in first.items() if k not in ("id", "changed_at", "entry_id")} == {
        "market": "ch",
        "category": "router-wifi",
        "field": "helper_fee",
        "old_value": "6000",
        "new_value": "5500",
        "changed_by_id": olga.pk,
        "changed_by": "Olga Operator",
        "source": "web",
        "reason": "first",
    }
    assert (body[1]["category"], body[1]["entry_id"]) == (None, None)
    assert (body[0]["changed_by"], body[0]["source"]) == (None, "seed")


def test_the_history_filters_by_market_and_category(operator, some_history):
    def reasons(**params):
        resp = operator.get("/api/operator/price-changes", **params)
        assert resp.status_code == 200, resp.content
        return [c["reason"] for c in resp.json()]

    assert reasons(market="pl") == ["third", "second"]
    assert reasons(category="router-wifi") == ["third", "first"]
    assert reasons(market="pl", category="router-wifi") == ["third"]
    assert reasons(market="ch", category="tv-decoder") == []


def test_the_history_pages_with_limit_and_offset(operator, some_history):
    def reasons(**params):
        return [c["reason"] for c in operator.get("/api/operator/price-changes", **params).json()]

    assert reasons(limit=2) == ["third", "second"]
    assert reasons(limit=2, offset=2) == ["first"]
    assert reasons(limit=0) == ["third"]  # clamped to at least one


def test_unknown_history_filters_are_422(operator, some_history):
    resp = operator.get("/api/operator/price-changes", market="xx")
    assert resp.status_code == 422
    assert resp.json()["detail"] == "Unknown market: xx"
    resp = operator.get("/api/operator/price-changes", category="nope")
    assert resp.status_code == 422
    assert resp.json()["detail"] == "Unknown category: nope"


def test_the_operator_pricing_endpoints_are_documented(api_as, reference):
    schema = api_as().get("/api/openapi.json").json()
    paths = schema["paths"]
    assert {"get"} <= set(paths["/api/operator/markets"])
    assert {"patch"} <= set(paths["/api/operator/markets/{market_id}"])
    assert {"get"} <= set(paths["/api/operator/prices"])
    assert {"patch"} <= set(paths["/api/operator/prices/{entry_id}"])
    assert {"get"} <= set(paths["/api/operator/price-changes"])
    patch = paths["/api/operator/prices/{entry_id}"]["patch"]
    assert {"401", "403", "404", "422"} <= set(patch["responses"])
    body_ref = patch["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    body_schema = schema["components"]["schemas"][body_ref.rsplit("/", 1)[1]]
    assert body_schema["required"] == ["reason"]
    assert Market.objects.count() == 2  # reading the document changes nothing
