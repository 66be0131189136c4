"""Category and market names per language (issue 12 item 12): `names` beside the English
`name`, filled for the reference data, edited in the admin and on the operator's price pages,
shown in the page's (or the API request's) language with English as the fallback."""

import importlib

import pytest
from django.apps import apps as django_apps
from django.urls import reverse
from django.utils import translation

from marketplace.jobs import services
from marketplace.pricing.models import Market, ServiceCategory
from marketplace.pricing.reference import CATEGORIES, CATEGORY_NAMES, MARKET_NAMES, MARKETS

pytestmark = pytest.mark.django_db

ZURICH_ADDRESS = "Bahnhofstrasse 1, 8001 Zürich"


def quote_page(client, market, category, lang):
    return client.get(
        reverse("quote"),
        {"market": market.pk, "category": category.pk},
        HTTP_ACCEPT_LANGUAGE=lang,
    ).content.decode()


# --- The model ---------------------------------------------------------------------------------


def test_localized_name_follows_the_active_language_and_falls_back_to_english(router_wifi, pl):
    assert router_wifi.localized_name("pl") == "Konfiguracja routera i Wi-Fi"
    assert router_wifi.localized_name("de") == "Router- und WLAN-Einrichtung"
    assert router_wifi.localized_name("fr") == "Configuration du routeur et du Wi-Fi"
    assert router_wifi.localized_name("en") == "Router & Wi-Fi setup"
    assert router_wifi.localized_name("pl-pl") == "Konfiguracja routera i Wi-Fi"
    assert pl.localized_name("pl") == "Polska" and pl.localized_name("de") == "Polen"
    with translation.override("fr"):
        assert str(pl) == "Pologne" and pl.localized_name() == "Pologne"
    # A language without a name (or an empty one) falls back to English.
    router_wifi.names = {"pl": "Router", "de": "  "}
    assert router_wifi.localized_name("de") == "Router & Wi-Fi setup"
    assert router_wifi.localized_name("fr") == "Router & Wi-Fi setup"
    assert router_wifi.localized_name("it") == "Router & Wi-Fi setup"
    router_wifi.names = {}
    assert router_wifi.localized_name("pl") == "Router & Wi-Fi setup"


def test_every_reference_category_and_market_has_a_name_in_every_shipped_language(reference):
    for slug, *_rest in CATEGORIES:
        assert set(CATEGORY_NAMES[slug]) == {"pl", "de", "fr"}, slug
        assert ServiceCategory.objects.get(slug=slug).names == CATEGORY_NAMES[slug]
    for code in MARKETS:
        assert set(MARKET_NAMES[code]) == {"pl", "de", "fr"}, code
        assert Market.objects.get(code=code).names == MARKET_NAMES[code]


def test_the_migration_fills_names_and_keeps_an_operators_own(reference):
    migration = importlib.import_module("marketplace.pricing.migrations.0005_translated_names")
    ServiceCategory.objects.update(names={})
    Market.objects.filter(code="pl").update(names={"pl": "Rzeczpospolita"})
    migration.fill_names(django_apps, None)
    assert ServiceCategory.objects.get(slug="router-wifi").names["pl"] == (
        "Konfiguracja routera i Wi-Fi"
    )
    assert Market.objects.get(code="pl").names == {
        "pl": "Rzeczpospolita",
        "de": "Polen",
        "fr": "Pologne",
    }


# --- Pages -------------------------------------------------------------------------------------


def test_the_polish_page_shows_polish_names(client, pl, router_wifi):
    html = quote_page(client, pl, router_wifi, "pl")
    assert "Konfiguracja routera i Wi-Fi" in html
    assert "Polska" in html
    assert "Router &amp; Wi-Fi setup" not in html
    # The request form's choices are localized too (str() of the category).
    german = quote_page(client, pl, router_wifi, "de")
    assert "Router- und WLAN-Einrichtung" in german and "Polen" in german


def test_a_language_without_a_name_shows_the_english_one(client, pl, router_wifi):
    router_wifi.names = {"de": "Router- und WLAN-Einrichtung"}
    router_wifi.save()
    html = quote_page(client, pl, router_wifi, "pl")
    assert "Router &amp; Wi-Fi setup" in html
    assert "Polska" in html


def test_the_customers_job_page_shows_the_localized_category(client, alice, router_wifi):
    job = services.job_post(
        customer=alice,
        category=router_wifi,
        description="The router keeps dropping the connection",
        address=ZURICH_ADDRESS,
    )
    client.force_login(alice)
    html = client.get(
        reverse("customer:job", args=[job.pk]), HTTP_ACCEPT_LANGUAGE="fr"
    ).content.decode()
    # The stored language of the user may win over the header; either way one of ours shows.
    assert "Configuration du routeur et du Wi-Fi" in html or "Router &amp; Wi-Fi setup" in html
    with translation.override("de"):
        alice.language = "de"
        alice.save()
    html = client.get(reverse("customer:job", args=[job.pk])).content.decode()
    assert "Router- und WLAN-Einrichtung" in html


# --- Editing -----------------------------------------------------------------------------------


def test_the_operator_edits_the_polish_name_on_the_price_page(client, olga, pl, router_wifi):
    from marketplace.pricing.models import PriceBookEntry

    entry = PriceBookEntry.objects.get(market=pl, category=router_wifi)
    client.force_login(olga)
    form = client.get(reverse("operator:price_edit", args=[entry.pk])).content.decode()
    assert 'name="name_pl"' in form and 'value="Konfiguracja routera i Wi-Fi"' in form
    data = {
        "helper_fee": "60.00",
        "min_helper_fee": "40.00",
        "max_helper_fee": "150.00",
        "pro_callout_fee": "25.00",
        "pro_hourly_rate": "125.00",
        "pro_expected_minutes": "60",
        "pro_flat_price": "",
        "pro_install_free": "on",
        "name": "Router & Wi-Fi setup",
        "name_pl": "Instalacja routera i sieci Wi-Fi",
        "name_de": "Router- und WLAN-Einrichtung",
        "name_fr": "",
        "reason": "Better Polish name",
    }
    resp = client.post(reverse("operator:price_edit", args=[entry.pk]), data)
    assert resp.status_code == 302, resp.content.decode()[:2000]
    router_wifi.refresh_from_db()
    assert router_wifi.names == {
        "pl": "Instalacja routera i sieci Wi-Fi",
        "de": "Router- und WLAN-Einrichtung",
    }
    # Names are not prices: nothing in the price history.
    assert not entry.changes.exists()
    html = quote_page(client, pl, router_wifi, "pl")
    assert "Instalacja routera i sieci Wi-Fi" in html
    assert "Router &amp; Wi-Fi setup" in quote_page(client, pl, router_wifi, "fr")


def test_the_operator_renames_a_market_per_language(client, olga, ch, router_wifi):
    client.force_login(olga)
    page = client.get(reverse("operator:market_edit", args=[ch.pk])).content.decode()
    assert 'name="name_fr"' in page and 'value="Suisse"' in page
    data = {
        "commission_percent": "20",
        "fixed_cost_per_month": "8000.00",
        "cancellation_free_minutes": "60",
        "cancellation_fee": "20.00",
        "dispatch_k": "3",
        "offer_deadline_minutes": "15",
        "radius_steps_km": "2,5,10,25",
        "max_radius_km": "25",
        "language": "de",
        "time_zone": "Europe/Zurich",
        "is_active": "on",
        "name": "Switzerland",
        "name_pl": "Szwajcaria",
        "name_de": "Schweiz",
        "name_fr": "Confédération suisse",
        "reason": "Official French name",
    }
    resp = client.post(reverse("operator:market_edit", args=[ch.pk]), data)
    assert resp.status_code == 302, resp.content.decode()[:2000]
    ch.refresh_from_db()
    assert ch.names["fr"] == "Confédération suisse"
    assert "Confédération suisse" in quote_page(client, ch, router_wifi, "fr")


def test_a_form_that_sends_no_names_keeps_them(client, olga, ch):
    client.force_login(olga)
    data = {
        "commission_percent": "25",
        "fixed_cost_per_month": "8000.00",
        "cancellation_free_minutes": "60",
        "cancellation_fee": "20.00",
        "dispatch_k": "3",
        "offer_deadline_minutes": "15",
        "radius_steps_km": "2,5,10,25",
        "max_radius_km": "25",
        "language": "de",
        "time_zone": "Europe/Zurich",
        "is_active": "on",
        "reason": "Commission",
    }
    resp = client.post(reverse("operator:market_edit", args=[ch.pk]), data)
    assert resp.status_code == 302
    ch.refresh_from_db()
    assert ch.commission_bps == 2500
    assert ch.name == "Switzerland" and ch.names == MARKET_NAMES["ch"]


def test_the_admin_edits_names_one_field_per_language(client, reference):
    from tests.factories import UserFactory

    admin = UserFactory(email="root@example.com", is_staff=True, is_superuser=True)
    client.force_login(admin)
    category = ServiceCategory.objects.get(slug="tv-decoder")
    url = reverse("admin:pricing_servicecategory_change", args=[category.pk])
    page = client.get(url).content.decode()
    assert 'name="name_pl"' in page and "Instalacja dekodera TV" in page
    assert 'name="names"' not in page
    resp = client.post(
        url,
        {
            "name": "TV decoder installation",
            "name_pl": "Montaż dekodera telewizyjnego",
            "name_de": "",
            "name_fr": "Installation du décodeur TV",
            "slug": "tv-decoder",
            "description": "",
            "bit": category.bit,
            "typical_minutes": 60,
            "is_active": "on",
        },
    )
    assert resp.status_code == 302, resp.content.decode()[:3000]
    category.refresh_from_db()
    assert category.names == {
        "pl": "Montaż dekodera telewizyjnego",
        "fr": "Installation du décodeur TV",
    }
    assert category.localized_name("de") == "TV decoder installation"

    market = Market.objects.get(code="pl")
    url = reverse("admin:pricing_market_change", args=[market.pk])
    page = client.get(url).content.decode()
    assert 'name="name_de"' in page and "Polen" in page and 'name="names"' not in page


# --- The API -----------------------------------------------------------------------------------


def test_api_category_name_follows_accept_language(api_as, alice, olga, router_wifi, ch):
    job = services.job_post(
        customer=alice,
        category=router_wifi,
        description="The router keeps dropping the connection",
        address=ZURICH_ADDRESS,
    )
    api = api_as(alice)
    for lang, expected in [
        ("pl", "Konfiguracja routera i Wi-Fi"),
        ("de", "Router- und WLAN-Einrichtung"),
        ("en", "Router & Wi-Fi setup"),
    ]:
        api.headers["Accept-Language"] = lang
        body = api.get(f"/api/jobs/{job.pk}").json()
        assert body["category_name"] == expected, (lang, body)
    operator = api_as(olga)
    operator.headers["Accept-Language"] = "fr"
    rows = operator.get("/api/operator/prices", market="ch").json()
    names = {row["category"]: row["category_name"] for row in rows}
    assert names["router-wifi"] == "Configuration du routeur et du Wi-Fi"
