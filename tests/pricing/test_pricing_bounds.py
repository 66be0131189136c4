"""Issue 21: every number of a market and its price book has a range (pricing/bounds.py), held by
the services, the API schema, the web forms, the model validators and a database constraint; so a
quote always fits the job's integer columns and posting a job never fails on an overflow."""

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from marketplace.core.errors import ValidationFailed
from marketplace.jobs.models import JobRequest
from marketplace.jobs.services import job_post
from marketplace.pricing import bounds
from marketplace.pricing.bounds import ENTRY_BOUNDS, MARKET_BOUNDS, MAX_DB_INTEGER, MAX_PRICE
from marketplace.pricing.models import Market, PriceBookEntry, PriceChange
from marketplace.pricing.reference import MARKETS, PRICES
from marketplace.pricing.services import build_quote, market_update, price_entry_update
from tests.factories import ZURICH

pytestmark = pytest.mark.django_db

MAX_IN_BOUNDS = {
    "max_helper_fee": MAX_PRICE,
    "helper_fee": MAX_PRICE,
    "pro_callout_fee": MAX_PRICE,
    "pro_hourly_rate": MAX_PRICE,
    "pro_expected_minutes": bounds.MAX_PRO_MINUTES,
}


@pytest.fixture
def operator(api_as, olga):
    return api_as(olga)


@pytest.fixture
def operator_client(client, olga):
    client.force_login(olga)
    return client


def snapshot(obj) -> dict:
    obj.refresh_from_db()
    names = ENTRY_BOUNDS if isinstance(obj, PriceBookEntry) else MARKET_BOUNDS
    return {name: getattr(obj, name) for name in names}


# --- the bounds themselves ---------------------------------------------------------------------


def integer_fields(model) -> set[str]:
    return {
        f.name
        for f in model._meta.concrete_fields
        if f.get_internal_type().endswith("IntegerField") and not f.primary_key
    }


def test_the_largest_quote_fits_a_postgresql_integer():
    assert bounds.MAX_QUOTE_AMOUNT == 250_000_000 < MAX_DB_INTEGER


def test_every_integer_of_a_price_book_entry_is_bounded():
    assert integer_fields(PriceBookEntry) == set(ENTRY_BOUNDS)


def test_every_integer_setting_of_a_market_is_bounded():
    assert integer_fields(Market) == set(MARKET_BOUNDS)


def test_reference_data_lies_within_the_bounds(ch, pl):
    for fields in MARKETS.values():
        assert not bounds.out_of_bounds(MARKET_BOUNDS, fields)
    for fee, lo, hi, callout, hourly, minutes, _free in PRICES.values():
        values = dict(
            helper_fee=fee,
            min_helper_fee=lo,
            max_helper_fee=hi,
            pro_callout_fee=callout,
            pro_hourly_rate=hourly,
            pro_expected_minutes=minutes,
        )
        assert not bounds.out_of_bounds(ENTRY_BOUNDS, values)
    for entry in PriceBookEntry.objects.select_related("market"):
        entry.full_clean()
        entry.market.full_clean()


@pytest.mark.parametrize(
    "text, message",
    [
        ("2,five", "Radius steps must be numbers separated by commas"),
        ("2,-5", "Radius steps must be positive numbers"),
        ("2,nan", "Radius steps must be positive numbers"),
        ("2,inf", "Radius steps must be positive numbers"),
        ("2,5,501", "Radius steps can be at most 500 km"),
    ],
)
def test_radius_steps_must_be_finite_and_within_the_largest_radius(ch, olga, text, message):
    with pytest.raises(ValidationFailed, match=message):
        market_update(market=ch, actor=olga, radius_steps_km=text)
    assert bounds.parse_radius_steps("2,5,500") == [2, 5, 500]


# --- the API ------------------------------------------------------------------------------------


def test_the_absurd_expected_minutes_of_issue_21_are_422_naming_the_field(operator, ch_router):
    before = snapshot(ch_router)
    resp = operator.patch(
        f"/api/operator/prices/{ch_router.pk}",
        {"reason": "black-box test", "pro_expected_minutes": 1_000_000_000},
    )
    assert resp.status_code == 422
    assert resp.json()["code"] == "invalid"
    assert "pro_expected_minutes" in resp.json()["detail"]
    assert snapshot(ch_router) == before
    assert not PriceChange.objects.exists()
    quote = operator.get("/api/quote", market="ch", category="router-wifi").json()
    assert quote["professional_price"] == 22_000


@pytest.mark.parametrize(
    "field, value",
    [
        ("helper_fee", MAX_PRICE + 1),
        ("max_helper_fee", MAX_PRICE + 1),
        ("pro_callout_fee", MAX_PRICE + 1),
        ("pro_hourly_rate", 2**40),
        ("pro_flat_price", MAX_PRICE + 1),
        ("pro_expected_minutes", 24 * 60 + 1),
        ("pro_expected_minutes", -1),
    ],
)
def test_price_fields_out_of_range_are_422_on_the_api(operator, ch_router, field, value):
    resp = operator.patch(f"/api/operator/prices/{ch_router.pk}", {"reason": "x", field: value})
    assert resp.status_code == 422, resp.content
    assert field in resp.json()["detail"]
    assert not PriceChange.objects.exists()


@pytest.mark.parametrize(
    "field, value",
    [
        ("fixed_cost_per_month", bounds.MAX_FIXED_COST_PER_MONTH + 1),
        ("cancellation_fee", MAX_PRICE + 1),
        ("cancellation_free_minutes", 7 * 24 * 60 + 1),
        ("offer_deadline_minutes", 0),
        ("offer_deadline_minutes", 24 * 60 + 1),
        ("dispatch_k", 21),
        ("max_radius_km", 501),
        ("commission_bps", -1),
    ],
)
def test_market_settings_out_of_range_are_422_on_the_api(operator, ch, field, value):
    before = snapshot(ch)
    resp = operator.patch(f"/api/operator/markets/{ch.pk}", {"reason": "x", field: value})
    assert resp.status_code == 422, resp.content
    assert field in resp.json()["detail"]
    assert snapshot(ch) == before


def test_the_largest_values_in_range_are_accepted_on_the_api(operator, ch_router):
    resp = operator.patch(
        f"/api/operator/prices/{ch_router.pk}", {"reason": "ceiling", **MAX_IN_BOUNDS}
    )
    assert resp.status_code == 200, resp.content
    assert resp.json()["quote"]["professional_price"] == bounds.MAX_QUOTE_AMOUNT


def test_the_openapi_schema_documents_every_range(operator):
    schemas = operator.get("/api/openapi.json").json()["components"]["schemas"]
    for schema, bound_table in (
        ("PriceEntryPatchIn", ENTRY_BOUNDS),
        ("MarketPatchIn", MARKET_BOUNDS),
    ):
        props = schemas[schema]["properties"]
        for name, bound in bound_table.items():
            prop = props[name]
            if "anyOf" in prop:  # pro_flat_price: integer or null
                prop = next(p for p in prop["anyOf"] if p.get("type") == "integer")
            assert (prop["minimum"], prop["maximum"]) == (bound.low, bound.high), name


# --- the services, for callers that bypass the form and the API ---------------------------------


def test_the_service_refuses_out_of_range_values_with_a_clear_message(ch_router, ch, olga):
    with pytest.raises(ValidationFailed) as caught:
        price_entry_update(entry=ch_router, actor=olga, pro_expected_minutes=1_000_000_000)
    assert caught.value.status_code == 422
    assert caught.value.message == (
        "pro_expected_minutes must be between 0 and 1440, not 1000000000"
    )
    with pytest.raises(ValidationFailed, match="dispatch_k must be between 1 and 20, not 0"):
        market_update(market=ch, actor=olga, dispatch_k=0)
    with pytest.raises(ValidationFailed, match="pro_hourly_rate must be a whole number"):
        price_entry_update(entry=ch_router, actor=olga, pro_hourly_rate="14000")
    with pytest.raises(ValidationFailed, match="pro_hourly_rate must be a whole number"):
        price_entry_update(entry=ch_router, actor=olga, pro_hourly_rate=True)
    assert not PriceChange.objects.exists()


def test_the_cross_field_rule_still_holds_at_the_ceiling(ch_router, olga):
    with pytest.raises(ValidationFailed, match="minimum helper fee is above the maximum"):
        price_entry_update(entry=ch_router, actor=olga, min_helper_fee=MAX_PRICE)
    with pytest.raises(ValidationFailed, match="between"):
        price_entry_update(entry=ch_router, actor=olga, helper_fee=ch_router.max_helper_fee + 1)


# --- the web forms ------------------------------------------------------------------------------


def entry_form(entry: PriceBookEntry, **overrides) -> dict:
    def major(amount):
        return "" if amount is None else f"{amount / 100:.2f}"

    data = {
        "helper_fee": major(entry.helper_fee),
        "min_helper_fee": major(entry.min_helper_fee),
        "max_helper_fee": major(entry.max_helper_fee),
        "pro_callout_fee": major(entry.pro_callout_fee),
        "pro_hourly_rate": major(entry.pro_hourly_rate),
        "pro_expected_minutes": str(entry.pro_expected_minutes),
        "pro_flat_price": major(entry.pro_flat_price),
        "reason": "Bounds",
    }
    data.update(overrides)
    return data


def test_the_absurd_minutes_are_a_form_error_and_nothing_is_saved(operator_client, ch_router):
    before = snapshot(ch_router)
    resp = operator_client.post(
        reverse("operator:price_edit", args=[ch_router.pk]),
        entry_form(ch_router, pro_expected_minutes="1000000000"),
    )
    assert resp.status_code == 200
    assert resp.context["form"].errors["pro_expected_minutes"] == [
        "Ensure this value is less than or equal to 1440."
    ]
    assert snapshot(ch_router) == before
    assert not PriceChange.objects.exists()


def test_a_price_above_the_ceiling_is_a_form_error(operator_client, ch_router):
    resp = operator_client.post(
        reverse("operator:price_edit", args=[ch_router.pk]),
        entry_form(ch_router, pro_hourly_rate="100000.01", pro_flat_price="2000000"),
    )
    errors = resp.context["form"].errors
    assert errors["pro_hourly_rate"] == ["Ensure this value is less than or equal to 100000.00."]
    assert errors["pro_flat_price"] == ["Ensure this value is less than or equal to 100000.00."]
    assert not PriceChange.objects.exists()


def test_the_preview_of_an_absurd_price_is_refused_too(operator_client, ch_router):
    data = entry_form(ch_router, pro_expected_minutes="1000000000", preview="1")
    resp = operator_client.post(reverse("operator:price_edit", args=[ch_router.pk]), data)
    assert resp.context["preview"] is None
    assert "pro_expected_minutes" in resp.context["form"].errors


def test_the_ceiling_itself_is_saved_through_the_form(operator_client, ch_router):
    resp = operator_client.post(
        reverse("operator:price_edit", args=[ch_router.pk]),
        entry_form(
            ch_router,
            max_helper_fee="100000",
            helper_fee="100000.00",
            pro_hourly_rate="100'000",
            pro_expected_minutes="1440",
        ),
    )
    assert resp.status_code == 302, resp.context["form"].errors
    ch_router.refresh_from_db()
    assert (ch_router.helper_fee, ch_router.pro_hourly_rate) == (MAX_PRICE, MAX_PRICE)


def test_market_settings_out_of_range_are_form_errors(operator_client, ch):
    before = snapshot(ch)
    resp = operator_client.post(
        reverse("operator:market_edit", args=[ch.pk]),
        {
            "commission_percent": "20",
            "fixed_cost_per_month": "10000000.01",
            "cancellation_free_minutes": "60",
            "cancellation_fee": "100000.01",
            "dispatch_k": "21",
            "offer_deadline_minutes": "1441",
            "radius_steps_km": "2,5,10,25",
            "max_radius_km": "501",
            "language": ch.language,
            "time_zone": ch.time_zone,
            "is_active": "on",
            "reason": "Bounds",
        },
    )
    assert resp.status_code == 200
    assert set(resp.context["form"].errors) == {
        "fixed_cost_per_month",
        "cancellation_fee",
        "dispatch_k",
        "offer_deadline_minutes",
        "max_radius_km",
    }
    assert snapshot(ch) == before


def test_radius_steps_beyond_the_largest_radius_are_a_form_error(operator_client, ch):
    resp = operator_client.post(
        reverse("operator:market_edit", args=[ch.pk]),
        {
            "commission_percent": "20",
            "fixed_cost_per_month": "8000",
            "cancellation_free_minutes": "60",
            "cancellation_fee": "20",
            "dispatch_k": "3",
            "offer_deadline_minutes": "15",
            "radius_steps_km": "2,5,10,25,1e9",
            "max_radius_km": "25",
            "language": ch.language,
            "time_zone": ch.time_zone,
            "is_active": "on",
            "reason": "Bounds",
        },
    )
    assert resp.status_code == 200
    assert "Radius steps can be at most 500 km" in resp.text
    ch.refresh_from_db()
    assert ch.radius_steps_km == "2,5,10,25"


# --- the database ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "field, value",
    [
        ("pro_expected_minutes", 1_000_000_000),
        ("pro_hourly_rate", MAX_PRICE + 1),
        ("pro_callout_fee", MAX_PRICE + 1),
        ("pro_flat_price", MAX_PRICE + 1),
    ],
)
def test_the_database_refuses_an_out_of_range_price_from_a_raw_update(ch_router, field, value):
    with pytest.raises(IntegrityError), transaction.atomic():
        PriceBookEntry.objects.filter(pk=ch_router.pk).update(**{field: value})
    ch_router.refresh_from_db()
    assert getattr(ch_router, field) != value


def test_the_database_refuses_fees_above_the_ceiling_even_when_in_order(ch_router):
    with pytest.raises(IntegrityError), transaction.atomic():
        PriceBookEntry.objects.filter(pk=ch_router.pk).update(
            helper_fee=MAX_PRICE + 1, max_helper_fee=MAX_PRICE + 1
        )


def test_a_null_flat_price_is_allowed_by_the_database(ch_router):
    PriceBookEntry.objects.filter(pk=ch_router.pk).update(pro_flat_price=MAX_PRICE)
    PriceBookEntry.objects.filter(pk=ch_router.pk).update(pro_flat_price=None)
    ch_router.refresh_from_db()
    assert ch_router.pro_flat_price is None


@pytest.mark.parametrize(
    "field, value",
    [
        ("commission_bps", 10_001),
        ("fixed_cost_per_month", bounds.MAX_FIXED_COST_PER_MONTH + 1),
        ("cancellation_fee", MAX_PRICE + 1),
        ("cancellation_free_minutes", 7 * 24 * 60 + 1),
        ("dispatch_k", 0),
        ("offer_deadline_minutes", 0),
        ("max_radius_km", 0),
    ],
)
def test_the_database_refuses_an_out_of_range_market_setting(ch, field, value):
    with pytest.raises(IntegrityError), transaction.atomic():
        Market.objects.filter(pk=ch.pk).update(**{field: value})


# --- posting a job at the ceiling ---------------------------------------------------------------


@pytest.mark.parametrize("free", [False, True])
def test_a_job_posted_after_the_largest_edit_in_range_stores_its_quote(
    ch_router, router_wifi, olga, alice, free
):
    price_entry_update(
        entry=ch_router, actor=olga, reason="ceiling", pro_install_free=free, **MAX_IN_BOUNDS
    )
    market_update(market=ch_router.market, actor=olga, commission_bps=10_000)
    job = job_post(
        customer=alice,
        category=router_wifi,
        description="The new router does not connect to the fibre box",
        lat=ZURICH[0],
        lng=ZURICH[1],
    )
    job.refresh_from_db()
    assert (job.price, job.platform_fee, job.helper_payout) == (MAX_PRICE, MAX_PRICE, 0)
    assert job.professional_list_price == bounds.MAX_QUOTE_AMOUNT
    assert job.professional_price == (0 if free else bounds.MAX_QUOTE_AMOUNT)


def test_the_job_api_answers_201_after_the_largest_edit_in_range(
    operator, api_as, ch_router, alice
):
    resp = operator.patch(
        f"/api/operator/prices/{ch_router.pk}", {"reason": "ceiling", **MAX_IN_BOUNDS}
    )
    assert resp.status_code == 200
    resp = api_as(alice).post(
        "/api/jobs",
        {
            "category": "router-wifi",
            "description": "The new router does not connect to the fibre box",
            "lat": ZURICH[0],
            "lng": ZURICH[1],
        },
    )
    assert resp.status_code == 201, resp.content
    assert resp.json()["quote"]["professional_price"] == bounds.MAX_QUOTE_AMOUNT
    assert JobRequest.objects.get().professional_price == bounds.MAX_QUOTE_AMOUNT


# --- any price book within the bounds gives a quote the job's columns hold ----------------------


def _within(bound) -> st.SearchStrategy[int]:
    # The ends of each range are the interesting values; hypothesis tries them often this way.
    return st.one_of(st.sampled_from([bound.low, bound.high]), st.integers(bound.low, bound.high))


@st.composite
def price_books(draw):
    fees = sorted(draw(st.lists(_within(ENTRY_BOUNDS["helper_fee"]), min_size=3, max_size=3)))
    entry = PriceBookEntry(
        min_helper_fee=fees[0],
        helper_fee=fees[1],
        max_helper_fee=fees[2],
        pro_callout_fee=draw(_within(ENTRY_BOUNDS["pro_callout_fee"])),
        pro_hourly_rate=draw(_within(ENTRY_BOUNDS["pro_hourly_rate"])),
        pro_expected_minutes=draw(_within(ENTRY_BOUNDS["pro_expected_minutes"])),
        pro_flat_price=draw(st.none() | _within(ENTRY_BOUNDS["pro_flat_price"])),
        pro_install_free=draw(st.booleans()),
    )
    market = Market(currency="CHF", commission_bps=draw(_within(MARKET_BOUNDS["commission_bps"])))
    return entry, market


JOB_COLUMNS = {
    "helper_price": "price",
    "platform_fee": "platform_fee",
    "helper_payout": "helper_payout",
    "professional_price": "professional_price",
    "professional_list_price": "professional_list_price",
}


def test_the_quote_fields_map_onto_positive_integer_columns():
    for column in JOB_COLUMNS.values():
        assert JobRequest._meta.get_field(column).get_internal_type() == "PositiveIntegerField"


@settings(max_examples=500, deadline=None)
@given(price_books())
def test_any_price_book_within_the_bounds_gives_a_quote_the_job_columns_hold(book):
    entry, market = book
    q = build_quote(entry=entry, market=market)
    for attr in JOB_COLUMNS:
        value = getattr(q, attr)
        assert isinstance(value, int) and not isinstance(value, bool)
        assert 0 <= value <= bounds.MAX_QUOTE_AMOUNT <= MAX_DB_INTEGER, (attr, value)
    # Shown to customers, not stored, but still an integer the API and the database can carry.
    assert abs(q.saving) <= MAX_DB_INTEGER
    assert abs(q.saving_percent) <= MAX_DB_INTEGER
    assert q.platform_fee + q.helper_payout == q.helper_price
    assert q.helper_price <= MAX_PRICE


# --- the migration that moved stored values into range -------------------------------------------


def test_the_clamping_migration_moved_values_into_todays_ranges():
    """Migration 0003 copies the ranges (a migration must not change with the code); when a range
    in bounds.py changes, this fails: write a new clamping migration before the new constraint."""
    import importlib

    migration = importlib.import_module("marketplace.pricing.migrations.0003_clamp_into_bounds")
    assert {k: (b.low, b.high) for k, b in MARKET_BOUNDS.items()} == migration.MARKET
    assert {k: (b.low, b.high) for k, b in ENTRY_BOUNDS.items()} == migration.ENTRY

    entry = PriceBookEntry(
        helper_fee=6_000,
        min_helper_fee=3_000,
        max_helper_fee=2_000_000_000,
        pro_expected_minutes=1_000_000_000,
        pro_flat_price=None,
    )
    diffs = migration._clamp(entry, migration.ENTRY)
    assert diffs == [
        ("max_helper_fee", 2_000_000_000, MAX_PRICE),
        ("pro_expected_minutes", 1_000_000_000, 24 * 60),
    ]
    assert entry.pro_flat_price is None
