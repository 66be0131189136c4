"""The operator supply/demand page: who may see it, what it shows, and the Apply and Refresh
buttons (POST with CSRF, operators only)."""

import pytest
from django.test import Client
from django.urls import reverse

from marketplace.pricing.models import PriceBookEntry, PriceChange
from marketplace.supply.models import SupplyRefreshRun
from marketplace.supply.selectors import market_today
from tests.supply_rows import stat, zurich_cell

pytestmark = pytest.mark.django_db

PAGE = "/operator/supply/"


@pytest.fixture
def entry(ch, router_wifi):
    return PriceBookEntry.objects.get(market=ch, category=router_wifi)


@pytest.fixture
def figures(ch, router_wifi):
    today = market_today(ch)
    stat(market=ch, category=router_wifi, cell=zurich_cell(ch), day=today, requests=12,
         helpers=2, accepted=4, median=9000)  # fmt: skip
    stat(market=ch, category=router_wifi, cell=zurich_cell(ch, 0, 1), day=today, requests=6,
         helpers=30, accepted=6, median=120)  # fmt: skip


def test_the_page_is_named_in_the_operator_namespace():
    assert reverse("operator:supply") == PAGE
    assert reverse("operator:supply_apply") == PAGE + "apply/"
    assert reverse("operator:supply_refresh") == PAGE + "refresh/"


def test_anonymous_visitors_are_sent_to_log_in(client, ch):
    for method, url in (("get", PAGE), ("post", PAGE + "apply/"), ("post", PAGE + "refresh/")):
        resp = getattr(client, method)(url)
        assert resp.status_code == 302
        assert resp.url.startswith(reverse("login"))


@pytest.mark.parametrize("who", ["alice", "bob"])
def test_customers_and_helpers_are_refused(client, who, request, entry, figures):
    client.force_login(request.getfixturevalue(who))
    assert client.get(PAGE).status_code == 403
    resp = client.post(PAGE + "apply/", {"entry_id": entry.pk, "suggested_fee": 6600})
    assert resp.status_code == 403
    assert client.post(PAGE + "refresh/").status_code == 403
    assert not PriceChange.objects.exists()
    assert not SupplyRefreshRun.objects.exists()


def test_operators_see_imbalances_and_suggestions(client, olga, figures):
    client.force_login(olga)
    resp = client.get(PAGE, {"market": "ch", "category": "router-wifi", "period": "week"})
    assert resp.status_code == 200
    html = resp.text
    assert "Most under-supplied areas" in html and "Most over-supplied areas" in html
    under = resp.context["undersupplied"]
    assert [r.figures.requests for r in under] == [12, 6]
    assert under[0].place.endswith("Zürich")  # nearest GeoNames place (a district), offline
    assert (under[0].ratio, under[0].fill_rate, under[0].median_wait) == (
        "6.0",
        "33 %",
        "2 h 30 min",
    )
    assert '<th scope="col">Demand/supply</th>' in html
    (suggestion, current, suggested) = resp.context["suggestions"][0]
    assert (suggestion.direction, current, suggested) == ("raise", "CHF 60.00", "CHF 66.00")
    assert 'name="csrfmiddlewaretoken"' in html
    assert f'action="{PAGE}apply/"' in html


def test_the_default_filters_and_a_cells_series(client, olga, ch, figures):
    client.force_login(olga)
    resp = client.get(PAGE)
    assert resp.status_code == 200
    assert resp.context["market"].code in {"ch", "pl"}
    key = zurich_cell(ch).key
    resp = client.get(PAGE, {"market": "ch", "period": "day", "cell": key})
    assert [r.figures.requests for r in resp.context["series"]] == [12]
    assert f"Area {key}" in resp.text


def test_bad_filters_show_errors_not_500(client, olga, ch):
    client.force_login(olga)
    for params in ({"market": "xx"}, {"market": "ch", "period": "year"}, {"cell": "a:b"}):
        resp = client.get(PAGE, params)
        assert resp.status_code == 200
        assert "Please correct the errors below." in resp.text


def test_apply_changes_the_fee_and_records_it(client, olga, entry, figures):
    client.force_login(olga)
    back = PAGE + "?market=ch&category=router-wifi"
    resp = client.post(PAGE + "apply/", {"entry_id": entry.pk, "suggested_fee": 6600, "next": back})
    assert resp.status_code == 302 and resp.url == back
    entry.refresh_from_db()
    assert entry.helper_fee == 6600
    change = PriceChange.objects.get()
    assert (change.source, change.changed_by) == ("suggestion", olga)
    assert "Demand/supply" in change.reason


def test_apply_refuses_a_fee_out_of_bounds_with_a_message(client, olga, entry, figures):
    client.force_login(olga)
    resp = client.post(
        PAGE + "apply/", {"entry_id": entry.pk, "suggested_fee": 50_000}, follow=True
    )
    assert resp.status_code == 200
    assert "between 3000 and 10000" in resp.text
    resp = client.post(PAGE + "apply/", {"entry_id": "x", "suggested_fee": ""}, follow=True)
    assert "not valid any more" in resp.text
    assert client.post(PAGE + "apply/", {"entry_id": 99999, "suggested_fee": 1}).status_code == 404
    assert client.get(PAGE + "apply/").status_code == 405
    assert not PriceChange.objects.exists()


def test_apply_needs_the_csrf_token(olga, entry, figures):
    client = Client(enforce_csrf_checks=True)
    client.force_login(olga)
    resp = client.post(PAGE + "apply/", {"entry_id": entry.pk, "suggested_fee": 6600})
    assert resp.status_code == 403
    assert not PriceChange.objects.exists()


def test_refresh_now_recomputes(client, olga, ch):
    client.force_login(olga)
    resp = client.post(PAGE + "refresh/", follow=True)
    assert resp.status_code == 200
    assert "Figures refreshed" in resp.text
    assert SupplyRefreshRun.objects.count() == 1
