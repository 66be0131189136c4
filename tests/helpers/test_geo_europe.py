"""The offline gazetteer covers Europe, and each job records how exactly its point is known
(issue 12 item 11; DESIGN §4)."""

import csv
import gzip
import time

import pytest
from django.urls import reverse
from geopy.geocoders import Nominatim
from geopy.location import Location

from marketplace.core import geo
from marketplace.jobs.models import JobRequest, LocationPrecision
from marketplace.jobs.services import job_post, resolve_location
from tests.factories import ZURICH

pytestmark = pytest.mark.django_db

DESCRIPTION = "The new router does not connect to the fibre box"
BERLIN = (52.52437, 13.41053)
EU_EEA_UK_CH_BALKANS_UA = {
    # EU
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT",
    "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
    # EEA, UK, Switzerland
    "IS", "LI", "NO", "GB", "CH",
    # Balkans, eastern Europe
    "AL", "BA", "ME", "MK", "RS", "XK", "UA", "MD", "BY",
}  # fmt: skip


@pytest.fixture(autouse=True)
def _offline(settings):
    settings.GEOCODER = "offline"


# --- Data ---------------------------------------------------------------------------------------


def test_every_european_country_is_covered_and_the_files_are_small():
    assert set(geo.countries()) >= EU_EEA_UK_CH_BALKANS_UA
    assert geo.EUROPE_GAZETTEER_PATH.stat().st_size < 1_000_000
    with gzip.open(geo.EUROPE_GAZETTEER_PATH, "rt", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    countries = {r["country"] for r in rows}
    assert EU_EEA_UK_CH_BALKANS_UA - {"PL", "CH"} <= countries
    assert not countries & {"PL", "CH"}  # those stay in the hand-curated gazetteer.csv
    keys = [(r["country"], -int(r["population"])) for r in rows]
    assert keys == sorted(keys)
    assert geo.countries()["DE"].currency == "EUR"
    assert geo.countries()["DE"].time_zone == "Europe/Berlin"


def test_the_gazetteer_loads_in_well_under_a_second():
    geo._gazetteer.cache_clear()
    started = time.perf_counter()
    gazetteer = geo._gazetteer()
    assert time.perf_counter() - started < 3.0  # ~0.35 s on a laptop
    assert len(gazetteer.localities) > 8_000


@pytest.mark.parametrize(
    ("query", "city", "country"),
    [
        ("Alexanderplatz 1, 10178 Berlin", "Berlin", "DE"),
        ("Marienplatz 1, 80331 München", "Munich", "DE"),  # the local name of "Munich"
        ("Stephansplatz 1, 1010 Wien, Österreich", "Vienna", "AT"),
        ("Rue de Rivoli 1, 75001 Paris", "Paris", "FR"),
        ("10 Downing Street, London SW1A 2AA", "London", "GB"),
        ("Damrak 1, 1012 LM Amsterdam", "Amsterdam", "NL"),
        ("Khreshchatyk 1, 01001 Kyiv", "Kyiv", "UA"),
        ("Knez Mihailova 1, 11000 Beograd", "Belgrade", "RS"),
        ("Kreuzberg, Berlin", "Berlin", "DE"),  # a district, reported with its city
    ],
)
def test_european_addresses_resolve_offline(query, city, country):
    place = geo.geocode(query)
    assert (place.city, place.country, place.precision) == (city, country, geo.PRECISION_TOWN)


def test_berlin_is_found_at_its_centre():
    place = geo.geocode("Alexanderplatz 1, 10178 Berlin")
    assert geo.haversine_km(place.lat, place.lng, *BERLIN) < 1
    assert place.display == "Berlin, Germany"
    assert geo.reverse(52.5219, 13.4132).city == "Berlin"  # Alexanderplatz, in Mitte


def test_the_postcode_and_the_country_settle_same_named_towns():
    assert geo.geocode("79098 Freiburg").country == "DE"  # German postcode: Freiburg i. Br.
    assert geo.geocode("1700 Freiburg").country == "CH"  # Swiss postcode: Fribourg
    assert geo.geocode("Baden, Schweiz").country == "CH"
    assert geo.geocode("Baden, Österreich").country == "AT"
    # The curated Swiss alias beats GeoNames' alternative name for Vienna.
    assert geo.geocode("Bienne").city == "Biel/Bienne"


def test_a_market_country_wins_a_tie(ch):
    # Baden (AG) and Baden bei Wien both have 4-digit postcodes; Switzerland has a market.
    assert geo.geocode("Bahnhofstrasse 1, 5400 Baden").country == "AT"  # the bigger one
    location = resolve_location(address="Bahnhofstrasse 1, 5400 Baden")
    assert (location.city, location.country) == ("Baden", "CH")


# --- Precision ----------------------------------------------------------------------------------


def _post(customer, category, **fields):
    return job_post(customer=customer, category=category, description=DESCRIPTION, **fields)


def test_an_address_from_the_gazetteer_is_recorded_as_town_centre(alice, router_wifi):
    job = _post(alice, router_wifi, address="Bahnhofstrasse 1, 8001 Zürich")
    assert job.location_precision == LocationPrecision.TOWN


def test_coordinates_from_the_device_are_recorded_as_device_gps(alice, router_wifi):
    job = _post(alice, router_wifi, lat=ZURICH[0], lng=ZURICH[1])
    assert job.location_precision == LocationPrecision.DEVICE
    assert (job.lat, job.lng) == ZURICH


def _nominatim_street(self, query, **kwargs):
    raw = {
        "lat": "47.3717",
        "lon": "8.5389",
        "class": "place",
        "type": "house",
        "addresstype": "place",
        "address": {
            "house_number": "1",
            "road": "Bahnhofstrasse",
            "city": "Zürich",
            "postcode": "8001",
            "country": "Schweiz/Suisse/Svizzera/Svizra",
            "country_code": "ch",
        },
    }
    return Location("1, Bahnhofstrasse, Zürich, 8001, Schweiz", (47.3717, 8.5389), raw)


def test_a_nominatim_street_result_is_used_as_it_is(settings, monkeypatch, alice, router_wifi):
    settings.GEOCODER = "nominatim"
    monkeypatch.setattr(Nominatim, "geocode", _nominatim_street)
    job = _post(alice, router_wifi, address="Bahnhofstrasse 1, 8001 Zürich")
    assert job.location_precision == LocationPrecision.STREET
    assert (job.lat, job.lng) == (47.3717, 8.5389)
    assert (job.city, job.market.code) == ("Zürich", "ch")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"class": "building", "type": "yes", "addresstype": "building"}, "street"),
        ({"class": "highway", "type": "residential", "addresstype": "road"}, "street"),
        ({"class": "amenity", "type": "cafe", "addresstype": "amenity"}, "street"),
        ({"class": "place", "type": "postcode", "addresstype": "postcode"}, "postcode"),
        ({"class": "boundary", "type": "administrative", "addresstype": "city"}, "town"),
        ({"class": "place", "type": "town", "addresstype": "town"}, "town"),
        ({"class": "place", "type": "suburb", "addresstype": "suburb"}, "town"),
        ({"address": {"road": "Hauptstrasse", "city": "Thun"}}, "street"),
        ({"address": {"town": "Thun"}}, ""),
    ],
)
def test_precision_is_read_from_the_geocoder_result(raw, expected):
    assert geo.precision_of(Location("x", (46.7, 7.6), raw)) == expected


def test_the_api_shows_the_precision(api_as, alice, router_wifi):
    resp = api_as(alice).post(
        "/api/jobs",
        {"category": router_wifi.slug, "description": DESCRIPTION, "address": "8001 Zürich"},
    )
    assert resp.status_code == 201, resp.content
    assert resp.json()["location_precision"] == "town"


# --- Saying so ----------------------------------------------------------------------------------


def test_the_customer_is_told_they_were_placed_at_the_town_centre(client, alice, router_wifi):
    job = _post(alice, router_wifi, address="Bahnhofstrasse 1, 8001 Zürich")
    client.force_login(alice)
    page = client.get(reverse("customer:job", args=[job.pk])).text
    assert "We placed you at the centre of Zürich" in page
    assert "use your location for a better match" in page


def test_no_town_centre_note_for_device_coordinates(client, alice, router_wifi):
    job = _post(alice, router_wifi, lat=ZURICH[0], lng=ZURICH[1])
    client.force_login(alice)
    page = client.get(reverse("customer:job", args=[job.pk])).text
    assert "We placed you at the centre" not in page


def test_the_helper_sees_distance_from_the_town_centre(client, alice, carol, router_wifi):
    job = _post(alice, router_wifi, address="Bahnhofstrasse 1, 8001 Zürich")
    assert job.offers.filter(helper=carol).exists()  # carol is 0.3 km from the centre
    client.force_login(carol)
    for name in ("helper:offers", "helper:nearby"):
        page = client.get(reverse(name)).text
        assert "distance from the town centre" in page, name
    page = client.get(reverse("helper:job", args=[job.pk])).text
    assert "distance from the town centre" in page


def test_jobs_from_before_default_to_town_centre():
    # Never claims more precision than there was (migration 0009 marks address-less jobs,
    # posted with coordinates, as device GPS).
    assert JobRequest._meta.get_field("location_precision").default == LocationPrecision.TOWN
