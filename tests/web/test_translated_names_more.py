"""Category and market names in the reader's language everywhere (issue 12, the rest of item 12):
notifications (the recipient's language), the operator's messages, the what-if and quote errors,
the public helper profile, the helper form's market check and the public API — and the honest
note before booking when only the town centre is known."""

import pytest
from django.urls import reverse
from django.utils import translation

from marketplace.core.errors import ValidationFailed
from marketplace.economics.whatif import current_whatif
from marketplace.helpers.forms import HelperApplyForm
from marketplace.jobs.services import job_accept
from marketplace.notifications.models import Kind, Notification
from marketplace.pricing.models import PriceBookEntry, ServiceCategory
from marketplace.supply.selectors import market_today
from tests.factories import posted_job
from tests.supply_rows import stat, zurich_cell

pytestmark = pytest.mark.django_db

ADDRESS = "Bahnhofstrasse 1, 8001 Zürich"
ROUTER_PL = "Konfiguracja routera i Wi-Fi"


@pytest.fixture
def unpriced(reference) -> ServiceCategory:
    """A category no market prices yet."""
    return ServiceCategory.objects.create(
        slug="solar-inverter",
        name="Solar inverter check",
        names={"pl": "Przegląd falownika solarnego", "de": "Wechselrichter-Check"},
        bit=61,
    )


# --- Notifications: in the recipient's language --------------------------------------------------


def test_notifications_name_the_category_in_each_recipients_language(alice, bob, router_wifi):
    type(alice).objects.filter(pk=alice.pk).update(language="pl")
    type(bob).objects.filter(pk=bob.pk).update(language="de")
    alice.refresh_from_db()
    bob.refresh_from_db()
    job = posted_job(customer=alice, category=router_wifi)
    offer = Notification.objects.get(user=bob, kind=Kind.NEW_OFFER, job=job)
    assert "Router- und WLAN-Einrichtung" in offer.title, offer.title
    assert "Router & Wi-Fi setup" not in offer.body
    job_accept(job=job, helper=bob)
    accepted = Notification.objects.get(user=alice, kind=Kind.JOB_ACCEPTED, job=job)
    assert ROUTER_PL in accepted.body, accepted.body


def test_an_english_recipient_reads_the_english_name(alice, bob, router_wifi):
    type(alice).objects.filter(pk=alice.pk).update(language="en")
    alice.refresh_from_db()
    job = job_accept(job=posted_job(customer=alice, category=router_wifi), helper=bob)
    note = Notification.objects.get(user=alice, kind=Kind.JOB_ACCEPTED, job=job)
    assert "Router & Wi-Fi setup" in note.body


# --- Operator pages and errors ------------------------------------------------------------------


def test_the_applied_suggestion_message_names_service_and_market_in_polish(
    client, olga, ch, router_wifi
):
    today = market_today(ch)
    stat(market=ch, category=router_wifi, cell=zurich_cell(ch), day=today, requests=12,
         helpers=2, accepted=4, median=9000)  # fmt: skip
    entry = PriceBookEntry.objects.get(market=ch, category=router_wifi)
    client.force_login(olga)
    resp = client.post(
        reverse("operator:supply_apply"),
        {"entry_id": entry.pk, "suggested_fee": 6600},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="pl",
    )
    text = " ".join(str(m) for m in resp.context["messages"])
    assert ROUTER_PL in text and "Szwajcaria" in text, text
    assert "Router & Wi-Fi setup" not in text


def test_whatif_for_an_unpriced_service_says_so_in_the_active_language(ch, unpriced):
    with translation.override("pl"), pytest.raises(ValidationFailed) as exc:
        current_whatif(ch, unpriced, start=None, end=None)
    assert "Przegląd falownika solarnego" in exc.value.message
    assert "Szwajcaria" in exc.value.message


def test_quote_api_not_offered_error_follows_accept_language(api_as, ch, unpriced):
    api = api_as()
    api.headers["Accept-Language"] = "pl"
    resp = api.get("/api/quote", market="ch", category=unpriced.slug)
    assert resp.status_code == 422
    body = resp.json()
    assert body["code"] == "not_offered"
    assert "Przegląd falownika solarnego" in body["detail"] and "Szwajcaria" in body["detail"]
    api.headers["Accept-Language"] = "de"
    body = api.get("/api/quote", market="ch", category=unpriced.slug).json()
    assert body["detail"] == "Wechselrichter-Check wird im Markt Schweiz nicht angeboten"
    api.headers["Accept-Language"] = "en"
    body = api.get("/api/quote", market="ch", category=unpriced.slug).json()
    assert body["detail"] == "Solar inverter check is not offered in Switzerland"


def test_the_public_helper_profile_lists_skills_and_market_in_polish(api_as, alice, bob):
    api = api_as(alice)
    api.headers["Accept-Language"] = "pl"
    body = api.get(f"/api/helpers/{bob.helper_profile.pk}/public").json()
    assert body["market"] == "Szwajcaria"
    assert ROUTER_PL in body["skills"], body["skills"]
    assert body["skills"] == sorted(body["skills"], key=str.casefold)
    api.headers["Accept-Language"] = "en"
    body = api.get(f"/api/helpers/{bob.helper_profile.pk}/public").json()
    assert body["market"] == "Switzerland" and "Router & Wi-Fi setup" in body["skills"]


def test_the_helper_form_names_the_market_in_the_page_language(ch, router_wifi):
    data = {
        "market": ch.pk,
        "address": "",
        "lat": "52.2297",
        "lng": "21.0118",  # Warsaw
        "service_radius_km": "15",
        "bio": "I set up networks for my neighbours.",
        "languages": ["de"],
        "skills": [router_wifi.pk],
        "accept_code_of_conduct": "on",
    }
    with translation.override("pl"):
        form = HelperApplyForm(data)
        assert not form.is_valid()
        assert "Szwajcaria" in " ".join(form.errors["address"]), form.errors


# --- The public API -----------------------------------------------------------------------------


def test_api_categories_and_markets_keep_the_english_name_and_add_the_localized_one(
    api_as, reference
):
    api = api_as()
    api.headers["Accept-Language"] = "pl"
    categories = {c["slug"]: c for c in api.get("/api/categories").json()}
    assert categories["router-wifi"]["name"] == "Router & Wi-Fi setup"
    assert categories["router-wifi"]["localized_name"] == ROUTER_PL
    markets = {m["code"]: m for m in api.get("/api/markets").json()}
    assert markets["ch"]["name"] == "Switzerland"
    assert markets["ch"]["localized_name"] == "Szwajcaria"
    assert markets["pl"]["localized_name"] == "Polska"
    api.headers["Accept-Language"] = "fr"
    markets = {m["code"]: m for m in api.get("/api/markets").json()}
    assert markets["pl"]["localized_name"] == "Pologne"
    api.headers["Accept-Language"] = "en"
    categories = {c["slug"]: c for c in api.get("/api/categories").json()}
    assert categories["router-wifi"]["localized_name"] == "Router & Wi-Fi setup"


def test_the_openapi_schema_says_which_name_is_which(api_as):
    schema = api_as().get("/api/openapi.json").json()["components"]["schemas"]
    for name in ("CategoryOut", "MarketOut"):
        props = schema[name]["properties"]
        assert "canonical" in props["name"]["description"]
        assert "Accept-Language" in props["localized_name"]["description"]


# --- Before booking: how precisely the address placed the customer ------------------------------


def _first_step(client, router_wifi, **location):
    return client.post(
        reverse("customer:request"),
        {
            "category": router_wifi.pk,
            "description": "The router keeps dropping the connection",
            "contact_phone": "+41 79 123 45 67",
            **location,
        },
    ).content.decode()


def test_the_quote_before_booking_says_when_only_the_town_centre_is_known(
    client, alice, router_wifi
):
    client.force_login(alice)
    page = _first_step(client, router_wifi, address="Zürich")
    assert "Book a community helper" in page
    assert "We placed you at the centre of Zürich; use your location for a better match." in page


def test_the_quote_with_the_device_location_has_no_such_note(client, alice, router_wifi):
    client.force_login(alice)
    page = _first_step(client, router_wifi, address="", lat="47.3769", lng="8.5417")
    assert "Book a community helper" in page
    assert "location-precision" not in page


def test_the_customers_job_page_still_says_it_after_booking(client, alice, router_wifi):
    job = posted_job(customer=alice, category=router_wifi, address="Zürich")
    assert job.location_precision == "town"
    client.force_login(alice)
    page = client.get(reverse("customer:job", args=[job.pk])).content.decode()
    assert "We placed you at the centre of Zürich" in page


# --- The operator finds the open-market page ---------------------------------------------------


def test_the_prices_page_links_to_opening_a_market(client, olga, reference):
    client.force_login(olga)
    page = client.get(reverse("operator:prices")).content.decode()
    assert f'href="{reverse("operator:market_open")}"' in page
    assert "Open a market for another country" in page
