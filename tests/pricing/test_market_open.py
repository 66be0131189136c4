"""Operators open a market for a new country from the web UI (issue 12 item 11)."""

import pytest
from django.urls import reverse

from marketplace.core.errors import ValidationFailed
from marketplace.jobs.models import JobRequest
from marketplace.pricing.markets import countries_without_market, market_open
from marketplace.pricing.models import Market, PriceBookEntry, PriceChange
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = "/operator/markets/open/"
BERLIN_ADDRESS = "Alexanderplatz 1, 10178 Berlin"
DESCRIPTION = "The new router does not connect to the fibre box"


@pytest.fixture(autouse=True)
def _offline(settings):
    settings.GEOCODER = "offline"


def _post_job(api_as, customer, address=BERLIN_ADDRESS):
    return api_as(customer).post(
        "/api/jobs", {"category": "router-wifi", "description": DESCRIPTION, "address": address}
    )


def test_the_url_is_named():
    assert reverse("operator:market_open") == URL


def test_without_a_german_market_berlin_is_refused_as_no_market(api_as, alice):
    resp = _post_job(api_as, alice)
    assert resp.status_code == 422
    assert resp.json()["code"] == "no_market"


def test_an_operator_opens_germany_and_berlin_jobs_work_end_to_end(client, api_as, olga, alice, ch):
    client.force_login(olga)
    resp = client.post(URL, {"country": "DE", "template": ch.pk, "is_active": "on"})
    assert resp.status_code == 302
    assert resp["Location"] == f"{reverse('operator:prices')}#market-de"

    de = Market.objects.get(country="DE")
    assert (de.code, de.name, de.currency, de.language, de.time_zone) == (
        "de",
        "Germany",
        "EUR",
        "de",
        "Europe/Berlin",
    )
    assert de.is_active
    assert (de.commission_bps, de.dispatch_k, de.max_radius_km) == (
        ch.commission_bps,
        ch.dispatch_k,
        ch.max_radius_km,
    )
    assert de.fixed_cost_per_month == 0  # the model default, not Switzerland's upkeep
    copied = {
        e.category.slug: (e.helper_fee, e.min_helper_fee, e.max_helper_fee)
        for e in de.price_book.select_related("category")
    }
    template = {
        e.category.slug: (e.helper_fee, e.min_helper_fee, e.max_helper_fee)
        for e in ch.price_book.select_related("category")
    }
    assert copied == template and len(copied) == 6

    history = PriceChange.objects.filter(market=de)
    assert history.exists()
    assert set(history.values_list("changed_by", flat=True)) == {olga.pk}
    assert history.filter(entry=None, field="currency", new_value="EUR").exists()
    assert history.filter(entry__isnull=False, field="helper_fee").count() == 6
    assert "Switzerland" in history.first().reason

    resp = _post_job(api_as, alice)
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert (body["market"], body["city"], body["quote"]["currency"]) == ("de", "Berlin", "EUR")
    assert body["location_precision"] == "town"
    job = JobRequest.objects.get(pk=body["id"])
    assert (job.currency, job.price) == ("EUR", copied["router-wifi"][0])


def test_the_page_lists_only_countries_without_a_market(client, olga, ch, pl):
    client.force_login(olga)
    page = client.get(URL)
    assert page.status_code == 200
    choices = dict(page.context["form"].fields["country"].choices)
    assert "DE" in choices and "FR" in choices and "UA" in choices
    assert "CH" not in choices and "PL" not in choices
    assert "Germany (DE)" in page.text

    market_open(country="DE", template=pl, actor=olga)
    choices = dict(client.get(URL).context["form"].fields["country"].choices)
    assert "DE" not in choices
    assert "DE" not in {c.code for c in countries_without_market()}


def test_an_inactive_market_still_counts_as_taken(olga, ch):
    market_open(country="AT", template=ch, actor=olga, is_active=False)
    assert not Market.objects.get(country="AT").is_active
    with pytest.raises(ValidationFailed) as exc:
        market_open(country="AT", template=ch, actor=olga)
    assert exc.value.code == "market_exists"


def test_a_country_with_a_market_cannot_be_opened_twice_from_the_page(client, olga, ch):
    client.force_login(olga)
    resp = client.post(URL, {"country": "CH", "template": ch.pk, "is_active": "on"})
    assert resp.status_code == 200  # the form again: CH is not a choice
    assert resp.context["form"].errors["country"]
    assert Market.objects.filter(country="CH").count() == 1


def test_an_unknown_country_is_refused(olga, ch):
    with pytest.raises(ValidationFailed) as exc:
        market_open(country="US", template=ch, actor=olga)
    assert exc.value.code == "unknown_country"


def test_the_language_is_the_main_one_if_the_site_speaks_it(olga, ch):
    assert market_open(country="AT", template=ch, actor=olga).language == "de"
    assert market_open(country="FR", template=ch, actor=olga).language == "fr"
    assert market_open(country="IT", template=ch, actor=olga).language == "en"
    assert market_open(country="BE", template=ch, actor=olga).language == "en"  # nl first
    assert market_open(country="GB", template=ch, actor=olga).currency == "GBP"


def test_the_new_market_is_validated_by_the_model_before_anything_is_saved(olga, ch, monkeypatch):
    from marketplace.pricing import markets

    real = markets.market_defaults
    monkeypatch.setattr(
        markets, "market_defaults", lambda country: {**real(country), "currency": "EURO"}
    )
    with pytest.raises(ValidationFailed) as exc:
        market_open(country="DE", template=ch, actor=olga)
    assert "currency" in exc.value.message
    assert not Market.objects.filter(country="DE").exists()
    assert not PriceChange.objects.filter(market__country="DE").exists()


def test_the_copied_prices_can_be_edited_afterwards(olga, ch):
    from marketplace.pricing.services import price_entry_update

    de = market_open(country="DE", template=ch, actor=olga)
    entry = de.price_book.get(category__slug="router-wifi")
    price_entry_update(entry=entry, actor=olga, helper_fee=5_000)
    assert PriceBookEntry.objects.get(pk=entry.pk).helper_fee == 5_000
    assert ch.price_book.get(category__slug="router-wifi").helper_fee == 6_000


@pytest.mark.parametrize("role", ["customer", "helper"])
def test_only_operators_may_open_markets(client, ch, role):
    client.force_login(UserFactory(role=role))
    assert client.get(URL).status_code == 403
    resp = client.post(URL, {"country": "DE", "template": ch.pk, "is_active": "on"})
    assert resp.status_code == 403
    assert not Market.objects.filter(country="DE").exists()


def test_anonymous_visitors_are_sent_to_log_in(client, ch):
    resp = client.get(URL)
    assert resp.status_code == 302 and reverse("login") in resp["Location"]
    resp = client.post(URL, {"country": "DE", "template": ch.pk})
    assert resp.status_code == 302
    assert not Market.objects.filter(country="DE").exists()
