"""Operators edit markets and the price book on the web and in the admin; every change lands in
the price history with who, when, old → new, source and reason. Other roles cannot get in."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from marketplace.pricing.models import Market, PriceBookEntry, PriceChange
from marketplace.pricing.services import price_entry_update
from tests.factories import OperatorFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator_client(client, olga):
    client.force_login(olga)
    return client


def major(amount: int | None) -> str:
    return "" if amount is None else f"{amount / 100:.2f}"


def entry_data(entry: PriceBookEntry, **overrides) -> dict:
    """The edit form as it comes pre-filled, with some values changed."""
    data = {
        "helper_fee": major(entry.helper_fee),
        "min_helper_fee": major(entry.min_helper_fee),
        "max_helper_fee": major(entry.max_helper_fee),
        "pro_callout_fee": major(entry.pro_callout_fee),
        "pro_hourly_rate": major(entry.pro_hourly_rate),
        "pro_expected_minutes": str(entry.pro_expected_minutes),
        "pro_flat_price": major(entry.pro_flat_price),
        "reason": "Summer promotion",
    }
    if entry.pro_install_free:
        data["pro_install_free"] = "on"
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def market_data(market: Market, **overrides) -> dict:
    data = {
        "commission_percent": f"{market.commission_bps / 100:g}",
        "fixed_cost_per_month": major(market.fixed_cost_per_month),
        "cancellation_free_minutes": str(market.cancellation_free_minutes),
        "cancellation_fee": major(market.cancellation_fee),
        "dispatch_k": str(market.dispatch_k),
        "offer_deadline_minutes": str(market.offer_deadline_minutes),
        "radius_steps_km": market.radius_steps_km,
        "max_radius_km": str(market.max_radius_km),
        "language": market.language,
        "time_zone": market.time_zone,
        "is_active": "on" if market.is_active else None,
        "reason": "New tariff",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def pricing_pages(entry: PriceBookEntry) -> list[str]:
    return [
        reverse("operator:prices"),
        reverse("operator:price_edit", args=[entry.pk]),
        reverse("operator:market_edit", args=[entry.market_id]),
        reverse("operator:price_history"),
    ]


def snapshot(entry: PriceBookEntry) -> tuple:
    entry.refresh_from_db()
    entry.market.refresh_from_db()
    return (entry.helper_fee, entry.max_helper_fee, entry.market.commission_bps)


# --- who may open the pages --------------------------------------------------------------------


def test_the_pages_live_in_the_operator_namespace(ch_router):
    assert reverse("operator:prices") == "/operator/prices/"
    assert reverse("operator:price_edit", args=[ch_router.pk]) == (
        f"/operator/prices/{ch_router.pk}/edit/"
    )
    assert reverse("operator:market_edit", args=[ch_router.market_id]) == (
        f"/operator/prices/markets/{ch_router.market_id}/edit/"
    )
    assert reverse("operator:price_history") == "/operator/prices/history/"


def test_anonymous_visitors_are_sent_to_login_and_change_nothing(client, ch_router):
    before = snapshot(ch_router)
    for url in pricing_pages(ch_router):
        resp = client.get(url)
        assert resp.status_code == 302, url
        assert resp.headers["Location"].startswith(reverse("login") + "?next="), url
    resp = client.post(
        reverse("operator:price_edit", args=[ch_router.pk]), entry_data(ch_router, helper_fee="50")
    )
    assert resp.headers["Location"].startswith(reverse("login"))
    resp = client.post(
        reverse("operator:market_edit", args=[ch_router.market_id]),
        market_data(ch_router.market, commission_percent="50"),
    )
    assert resp.headers["Location"].startswith(reverse("login"))
    assert snapshot(ch_router) == before
    assert not PriceChange.objects.exists()


@pytest.mark.parametrize("who", ["alice", "bob"])
def test_customers_and_helpers_get_403_and_change_nothing(client, request, ch_router, who):
    client.force_login(request.getfixturevalue(who))
    before = snapshot(ch_router)
    for url in pricing_pages(ch_router):
        assert client.get(url).status_code == 403, url
    resp = client.post(
        reverse("operator:price_edit", args=[ch_router.pk]), entry_data(ch_router, helper_fee="50")
    )
    assert resp.status_code == 403
    resp = client.post(
        reverse("operator:market_edit", args=[ch_router.market_id]),
        market_data(ch_router.market, commission_percent="50"),
    )
    assert resp.status_code == 403
    assert snapshot(ch_router) == before
    assert not PriceChange.objects.exists()


def test_operators_can_open_every_pricing_page(operator_client, ch_router):
    for url in pricing_pages(ch_router):
        assert operator_client.get(url).status_code == 200, url


def test_unknown_entries_and_markets_are_404(operator_client, reference):
    assert operator_client.get(reverse("operator:price_edit", args=[99999])).status_code == 404
    assert operator_client.get(reverse("operator:market_edit", args=[99999])).status_code == 404


# --- the price book ----------------------------------------------------------------------------


def test_the_price_book_shows_each_market_with_money_formatted(operator_client, ch_router, pl):
    resp = operator_client.get(reverse("operator:prices"))
    text = resp.text
    # Switzerland, router set-up: CHF 60 helper vs CHF 80 + 60 min × CHF 140/h = CHF 220.
    assert "Router &amp; Wi-Fi setup" in text
    assert "CHF 60.00" in text
    assert "CHF 30.00 – CHF 100.00" in text
    assert "CHF 220.00" in text
    assert "CHF 80.00 call-out + 60 min × CHF 140.00/h" in text
    assert "CHF 160.00 (73 %)" in text  # saving
    assert "CHF 48.00" in text  # payout after 20 % commission
    # Market settings.
    assert "20 % of the helper price" in text
    assert "CHF 8&#x27;000.00 per month" in text
    assert "steps 2,5,10,25 km, at most 25 km" in text
    # Poland: professional installation is free there; money in złoty.
    assert "60,00 zł" in text
    assert "none (free for the customer)" in text
    # Links to edit.
    assert reverse("operator:price_edit", args=[ch_router.pk]) in text
    assert reverse("operator:market_edit", args=[pl.pk]) in text
    blocks = resp.context["blocks"]
    assert [b.market.code for b in blocks] == ["pl", "ch"]  # by name: Poland, Switzerland
    assert len(blocks[1].rows) == PriceBookEntry.objects.filter(market__code="ch").count()


# --- editing an entry ----------------------------------------------------------------------------


def test_editing_a_price_in_major_units_saves_minor_units_and_records_it(
    operator_client, ch_router, olga
):
    url = reverse("operator:price_edit", args=[ch_router.pk])
    page = operator_client.get(url)
    assert page.context["form"]["helper_fee"].value() == ch_router.helper_fee / 100
    assert 'value="60.00"' in page.text

    resp = operator_client.post(url, entry_data(ch_router, helper_fee="45.50"))
    assert resp.status_code == 302
    assert resp.headers["Location"] == reverse("operator:prices") + "#market-ch"
    ch_router.refresh_from_db()
    assert ch_router.helper_fee == 4550
    change = PriceChange.objects.get()
    assert (change.entry, change.market, change.field) == (
        ch_router,
        ch_router.market,
        "helper_fee",
    )
    assert (change.old_value, change.new_value) == ("6000", "4550")
    assert (change.changed_by, change.source, change.reason) == (olga, "web", "Summer promotion")


def test_a_comma_works_as_the_decimal_point(operator_client, pl, router_wifi):
    entry = PriceBookEntry.objects.get(market=pl, category=router_wifi)
    resp = operator_client.post(
        reverse("operator:price_edit", args=[entry.pk]), entry_data(entry, helper_fee="55,90")
    )
    assert resp.status_code == 302
    entry.refresh_from_db()
    assert entry.helper_fee == 5590


def test_an_empty_flat_price_means_calculated_and_a_value_sets_it(operator_client, ch_router):
    url = reverse("operator:price_edit", args=[ch_router.pk])
    operator_client.post(url, entry_data(ch_router, pro_flat_price="199"))
    ch_router.refresh_from_db()
    assert ch_router.pro_flat_price == 19_900
    operator_client.post(url, entry_data(ch_router, pro_flat_price=""))
    ch_router.refresh_from_db()
    assert ch_router.pro_flat_price is None
    assert list(PriceChange.objects.values_list("new_value", flat=True)) == ["", "19900"]


def test_more_than_two_decimals_is_refused_and_nothing_changes(operator_client, ch_router):
    resp = operator_client.post(
        reverse("operator:price_edit", args=[ch_router.pk]),
        entry_data(ch_router, helper_fee="45.505"),
    )
    assert resp.status_code == 200
    assert resp.context["form"].errors["helper_fee"] == ["Use at most 2 decimals, e.g. 45.50."]
    assert "Use at most 2 decimals" in resp.text
    ch_router.refresh_from_db()
    assert ch_router.helper_fee == 6000
    assert not PriceChange.objects.exists()


def test_trailing_zeros_beyond_two_decimals_are_accepted(operator_client, ch_router):
    resp = operator_client.post(
        reverse("operator:price_edit", args=[ch_router.pk]),
        entry_data(ch_router, helper_fee="45.500"),
    )
    assert resp.status_code == 302
    ch_router.refresh_from_db()
    assert ch_router.helper_fee == 4550


def test_a_fee_above_the_maximum_is_a_form_error_and_nothing_changes(operator_client, ch_router):
    resp = operator_client.post(
        reverse("operator:price_edit", args=[ch_router.pk]),
        entry_data(ch_router, helper_fee="100.01"),
    )
    assert resp.status_code == 200
    assert resp.context["form"].errors["helper_fee"] == [
        "The helper fee must lie between CHF 30.00 and CHF 100.00."
    ]
    ch_router.refresh_from_db()
    assert ch_router.helper_fee == 6000
    assert not PriceChange.objects.exists()


def test_a_minimum_above_the_maximum_is_a_form_error(operator_client, ch_router):
    resp = operator_client.post(
        reverse("operator:price_edit", args=[ch_router.pk]),
        entry_data(ch_router, min_helper_fee="120", helper_fee="110"),
    )
    assert resp.context["form"].errors["min_helper_fee"] == ["The minimum is above the maximum."]
    assert not PriceChange.objects.exists()


def test_negative_and_non_numeric_amounts_are_refused(operator_client, ch_router):
    url = reverse("operator:price_edit", args=[ch_router.pk])
    resp = operator_client.post(url, entry_data(ch_router, pro_callout_fee="-5"))
    assert "pro_callout_fee" in resp.context["form"].errors
    resp = operator_client.post(url, entry_data(ch_router, pro_hourly_rate="lots"))
    assert resp.context["form"].errors["pro_hourly_rate"] == ["Enter a number."]
    assert not PriceChange.objects.exists()


def test_a_reason_is_required_to_save(operator_client, ch_router):
    resp = operator_client.post(
        reverse("operator:price_edit", args=[ch_router.pk]),
        entry_data(ch_router, helper_fee="50", reason=""),
    )
    assert resp.status_code == 200
    assert "reason" in resp.context["form"].errors
    ch_router.refresh_from_db()
    assert ch_router.helper_fee == 6000


def test_service_errors_become_form_errors_not_500(operator_client, ch_router, monkeypatch):
    from marketplace.core.errors import ValidationFailed
    from marketplace.pricing.views import prices as views_pricing

    def refuse(**kwargs):
        raise ValidationFailed("Someone changed the bounds meanwhile")

    monkeypatch.setattr(views_pricing, "price_entry_update", refuse)
    resp = operator_client.post(
        reverse("operator:price_edit", args=[ch_router.pk]), entry_data(ch_router, helper_fee="50")
    )
    assert resp.status_code == 200
    assert "Someone changed the bounds meanwhile" in resp.text


def test_preview_shows_the_resulting_quote_without_saving(operator_client, ch_router):
    resp = operator_client.post(
        reverse("operator:price_edit", args=[ch_router.pk]),
        {**entry_data(ch_router, helper_fee="50", reason=""), "preview": "1"},
    )
    assert resp.status_code == 200
    preview = resp.context["preview"]
    assert (preview.helper_price, preview.platform_fee, preview.helper_payout) == (
        5000,
        1000,
        4000,
    )
    assert preview.saving == 22_000 - 5000
    assert "Quote with your changes (not saved)" in resp.text
    assert "CHF 40.00" in resp.text
    ch_router.refresh_from_db()
    assert ch_router.helper_fee == 6000
    assert not PriceChange.objects.exists()


# --- editing a market ----------------------------------------------------------------------------


def test_editing_market_settings_converts_percent_and_money_and_records_it(
    operator_client, ch, olga
):
    url = reverse("operator:market_edit", args=[ch.pk])
    assert 'value="20.00"' in operator_client.get(url).text
    resp = operator_client.post(
        url,
        market_data(
            ch, commission_percent="12.5", fixed_cost_per_month="9000", cancellation_fee="25,50"
        ),
    )
    assert resp.status_code == 302
    ch.refresh_from_db()
    assert (ch.commission_bps, ch.fixed_cost_per_month, ch.cancellation_fee) == (
        1250,
        900_000,
        2550,
    )
    changes = {c.field: c for c in PriceChange.objects.all()}
    assert set(changes) == {"commission_bps", "fixed_cost_per_month", "cancellation_fee"}
    commission = changes["commission_bps"]
    assert (commission.old_value, commission.new_value, commission.entry) == ("2000", "1250", None)
    assert all(
        (c.changed_by, c.source, c.reason) == (olga, "web", "New tariff") for c in changes.values()
    )


def test_a_commission_above_100_percent_is_a_form_error(operator_client, ch):
    resp = operator_client.post(
        reverse("operator:market_edit", args=[ch.pk]), market_data(ch, commission_percent="100.01")
    )
    assert resp.status_code == 200
    assert resp.context["form"].errors["commission_percent"] == [
        "The commission cannot be more than 100 %."
    ]
    ch.refresh_from_db()
    assert ch.commission_bps == 2000
    assert not PriceChange.objects.exists()


def test_a_commission_with_three_decimals_is_refused(operator_client, ch):
    resp = operator_client.post(
        reverse("operator:market_edit", args=[ch.pk]), market_data(ch, commission_percent="12.345")
    )
    assert resp.context["form"].errors["commission_percent"] == [
        "Use at most 2 decimals, e.g. 45.50."
    ]
    assert not PriceChange.objects.exists()


def test_bad_radius_steps_from_the_service_show_in_the_form(operator_client, ch):
    resp = operator_client.post(
        reverse("operator:market_edit", args=[ch.pk]),
        market_data(ch, radius_steps_km="2,five", commission_percent="15"),
    )
    assert resp.status_code == 200
    assert "Radius steps must be numbers separated by commas" in resp.text
    ch.refresh_from_db()
    assert (ch.radius_steps_km, ch.commission_bps) == ("2,5,10,25", 2000)
    assert not PriceChange.objects.exists()


def test_an_unknown_time_zone_is_refused(operator_client, ch):
    resp = operator_client.post(
        reverse("operator:market_edit", args=[ch.pk]), market_data(ch, time_zone="Mars/Olympus")
    )
    assert "time_zone" in resp.context["form"].errors
    ch.refresh_from_db()
    assert ch.time_zone == "Europe/Zurich"


def test_deactivating_a_market_is_recorded(operator_client, ch):
    resp = operator_client.post(
        reverse("operator:market_edit", args=[ch.pk]), market_data(ch, is_active=None)
    )
    assert resp.status_code == 302
    ch.refresh_from_db()
    assert ch.is_active is False
    change = PriceChange.objects.get()
    assert (change.field, change.old_value, change.new_value) == ("is_active", "True", "False")


# --- history -------------------------------------------------------------------------------------


def test_history_lists_changes_newest_first_readably(operator_client, some_history):
    resp = operator_client.get(reverse("operator:price_history"))
    assert [r.change.reason for r in resp.context["rows"]] == ["third", "second", "first"]
    text = resp.text
    assert "CHF 60.00 → CHF 55.00" in text
    assert "15 % → 18 %" in text
    assert "60,00 zł → 70,00 zł" in text
    assert "Olga Operator" in text
    assert "market settings" in text
    assert "seed" in text


def test_history_filters_by_market_and_category(operator_client, some_history):
    url = reverse("operator:price_history")
    resp = operator_client.get(url, {"market": "pl"})
    assert [r.change.reason for r in resp.context["rows"]] == ["third", "second"]
    resp = operator_client.get(url, {"market": "pl", "category": "router-wifi"})
    assert [r.change.reason for r in resp.context["rows"]] == ["third"]
    resp = operator_client.get(url, {"category": "router-wifi"})
    assert [r.change.reason for r in resp.context["rows"]] == ["third", "first"]


def test_history_with_an_unknown_market_shows_an_error_and_no_rows(operator_client, some_history):
    resp = operator_client.get(reverse("operator:price_history"), {"market": "xx"})
    assert resp.status_code == 200
    assert resp.context["form"].errors["market"] == ["Unknown market."]
    assert resp.context["rows"] == []


def test_history_is_paginated_keeping_the_filter(operator_client, ch_router, olga):
    t0 = timezone.now()
    for i in range(55):
        price_entry_update(
            entry=ch_router,
            actor=olga,
            reason=f"step {i}",
            helper_fee=3000 + i * 10,
            now=t0 + timedelta(minutes=i),
        )
    url = reverse("operator:price_history")
    first = operator_client.get(url, {"market": "ch"})
    assert len(first.context["rows"]) == 50
    assert first.context["rows"][0].change.reason == "step 54"
    assert "?market=ch&amp;page=2" in first.text
    second = operator_client.get(url, {"market": "ch", "page": 2})
    assert [r.change.reason for r in second.context["rows"]] == [
        f"step {i}" for i in range(4, -1, -1)
    ]


# --- admin ---------------------------------------------------------------------------------------


@pytest.fixture
def admin_client(client, reference):
    root = OperatorFactory(email="root@example.com", full_name="Root Operator", is_superuser=True)
    client.force_login(root)
    client.root = root
    return client


def admin_form_data(resp) -> dict:
    """The admin change form as the browser would submit it unchanged (main form and inlines)."""
    forms = [resp.context["adminform"].form]
    data = {}
    for inline in resp.context["inline_admin_formsets"]:
        formset = inline.formset
        data.update(
            {
                f"{formset.prefix}-{k}": v
                for k, v in formset.management_form.initial.items()
                if v is not None
            }
        )
        forms.extend(formset.forms)
    for form in forms:
        for name in form.fields:
            value = form[name].value()
            key = form.add_prefix(name)
            if isinstance(value, bool):
                if value:
                    data[key] = "on"
            elif value is not None:
                data[key] = value
    return data


def test_saving_a_price_in_the_admin_records_a_change(admin_client, ch_router):
    url = reverse("admin:pricing_pricebookentry_change", args=[ch_router.pk])
    data = admin_form_data(admin_client.get(url))
    data.update(helper_fee="5200", change_reason="admin fix")
    resp = admin_client.post(url, data)
    assert resp.status_code == 302, resp.context["adminform"].form.errors
    ch_router.refresh_from_db()
    assert ch_router.helper_fee == 5200
    change = PriceChange.objects.get()
    assert (change.field, change.old_value, change.new_value) == ("helper_fee", "6000", "5200")
    assert (change.source, change.changed_by, change.reason) == (
        "admin",
        admin_client.root,
        "admin fix",
    )


def test_a_fee_outside_the_bounds_is_an_admin_form_error(admin_client, ch_router):
    url = reverse("admin:pricing_pricebookentry_change", args=[ch_router.pk])
    data = admin_form_data(admin_client.get(url))
    data.update(helper_fee="10001")
    resp = admin_client.post(url, data)
    assert resp.status_code == 200
    assert resp.context["adminform"].form.errors
    ch_router.refresh_from_db()
    assert ch_router.helper_fee == 6000
    assert not PriceChange.objects.exists()


def test_saving_a_market_and_its_inline_prices_in_the_admin_records_both(admin_client, ch_router):
    market = ch_router.market
    url = reverse("admin:pricing_market_change", args=[market.pk])
    data = admin_form_data(admin_client.get(url))
    data.update(commission_bps="1700", name="Schweiz", change_reason="Q3 review")
    inline_index = next(
        k.split("-")[1] for k, v in data.items() if k.endswith("-id") and v == ch_router.pk
    )
    data[f"price_book-{inline_index}-helper_fee"] = "6500"
    resp = admin_client.post(url, data)
    assert resp.status_code == 302, resp.context["adminform"].form.errors
    market.refresh_from_db()
    ch_router.refresh_from_db()
    assert (market.commission_bps, market.name, ch_router.helper_fee) == (1700, "Schweiz", 6500)
    recorded = {
        (c.entry_id, c.field, c.new_value, c.source, c.reason) for c in PriceChange.objects.all()
    }
    assert recorded == {
        (None, "commission_bps", "1700", "admin", "Q3 review"),
        (ch_router.pk, "helper_fee", "6500", "admin", "Q3 review"),
    }


def test_new_markets_in_the_admin_are_saved_plainly(admin_client):
    url = reverse("admin:pricing_market_add")
    data = admin_form_data(admin_client.get(url))
    data.update(code="at", name="Austria", country="AT", currency="EUR")
    resp = admin_client.post(url, data)
    assert resp.status_code == 302, resp.context["adminform"].form.errors
    assert Market.objects.filter(code="at").exists()
    assert not PriceChange.objects.exists()


def test_the_price_history_is_read_only_in_the_admin(admin_client, some_history):
    change = some_history.first()
    assert admin_client.get(reverse("admin:pricing_pricechange_changelist")).status_code == 200
    assert admin_client.get(reverse("admin:pricing_pricechange_add")).status_code == 403
    detail = reverse("admin:pricing_pricechange_change", args=[change.pk])
    assert admin_client.get(detail).status_code == 200
    assert admin_client.post(detail, {"reason": "rewritten"}).status_code == 403
    delete = reverse("admin:pricing_pricechange_delete", args=[change.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    change.refresh_from_db()
    assert change.reason != "rewritten"


def test_the_admin_history_filters_by_market_field_and_source(admin_client, some_history):
    url = reverse("admin:pricing_pricechange_changelist")
    resp = admin_client.get(url, {"source__exact": "seed"})
    assert [c.reason for c in resp.context["cl"].result_list] == ["third"]
    resp = admin_client.get(url, {"field": "commission_bps"})
    assert [c.reason for c in resp.context["cl"].result_list] == ["second"]
