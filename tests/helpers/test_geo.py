"""Tests for marketplace.core.geo (DESIGN §4): offline geocoding, distances, privacy grid."""

import csv
import math
import random
import socket

import pytest
from geopy.geocoders import Nominatim
from geopy.geocoders.base import Geocoder
from geopy.location import Location

from marketplace.core import geo
from marketplace.core.geo import (
    GeocodingError,
    OfflineGazetteer,
    Place,
    approx_point,
    bounding_box,
    geocode,
    geodesic_km,
    get_geocoder,
    haversine_km,
    reverse,
    validate_coordinates,
)

WARSZAWA = (52.22977, 21.01178)
ZURICH = (47.36667, 8.55)


@pytest.fixture(autouse=True)
def _offline_geocoder(settings):
    settings.GEOCODER = "offline"
    settings.APPROX_GRID_METRES = 1000


def _destination(lat, lng, distance_km, bearing_deg):
    """Point at ``distance_km`` along a great circle (same sphere as haversine_km)."""
    delta = distance_km / geo.EARTH_RADIUS_KM
    theta = math.radians(bearing_deg)
    phi1, lmb1 = math.radians(lat), math.radians(lng)
    phi2 = math.asin(
        math.sin(phi1) * math.cos(delta) + math.cos(phi1) * math.sin(delta) * math.cos(theta)
    )
    lmb2 = lmb1 + math.atan2(
        math.sin(theta) * math.sin(delta) * math.cos(phi1),
        math.cos(delta) - math.sin(phi1) * math.sin(phi2),
    )
    return math.degrees(phi2), (math.degrees(lmb2) + 540) % 360 - 180


# --- Data file ----------------------------------------------------------------------------------


def test_gazetteer_file_is_small_sorted_and_has_the_main_cities():
    assert geo.GAZETTEER_PATH.stat().st_size < 100_000
    with geo.GAZETTEER_PATH.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0])[:7] == [
        "name", "ascii_name", "country", "admin1", "lat", "lng", "population",
    ]  # fmt: skip
    assert {r["country"] for r in rows} == {"PL", "CH"}
    keys = [(r["country"], -int(r["population"])) for r in rows]
    assert keys == sorted(keys)
    names = {r["name"] for r in rows}
    for city in [
        "Warszawa", "Kraków", "Zürich", "Genève", "Bern", "Basel", "Lausanne",
        "Wrocław", "Gdańsk", "Poznań", "Łódź",
    ]:  # fmt: skip
        assert city in names
    for r in rows:
        assert len(r["lat"].partition(".")[2]) <= 5
        assert len(r["lng"].partition(".")[2]) <= 5


# --- Offline geocoding --------------------------------------------------------------------------


def test_offline_geocoder_finds_city_in_full_polish_address():
    place = geocode("ul. Marszałkowska 10, 00-001 Warszawa")
    assert isinstance(place, Place)
    assert (place.city, place.country) == ("Warszawa", "PL")
    assert haversine_km(place.lat, place.lng, *WARSZAWA) < 1
    assert "Warszawa" in place.display


def test_offline_geocoder_finds_city_in_full_swiss_address():
    place = geocode("Bahnhofstrasse 1, 8001 Zürich")
    assert (place.city, place.country) == ("Zürich", "CH")
    assert haversine_km(place.lat, place.lng, *ZURICH) < 1


@pytest.mark.parametrize(
    ("query", "city"),
    [
        ("Zurich", "Zürich"),
        ("zurich", "Zürich"),
        ("ZÜRICH", "Zürich"),
        ("Krakow", "Kraków"),
        ("lodz", "Łódź"),
        ("Gdansk", "Gdańsk"),
        ("Poznan", "Poznań"),
        ("Wroclaw", "Wrocław"),
        ("Geneve", "Genève"),
    ],
)
def test_offline_geocoder_is_case_and_diacritics_insensitive(query, city):
    assert geocode(query).city == city


@pytest.mark.parametrize(
    ("query", "city", "country"),
    [
        ("Rue du Rhône 1, 1204 Genève", "Genève", "CH"),
        ("Spalenberg 2, CH-4051 Basel", "Basel", "CH"),
        ("Marszałkowska 10 00-001 Warszawa", "Warszawa", "PL"),  # no commas
        ("Rynek Główny 1, 31-042 Kraków, Polska", "Kraków", "PL"),
        ("Zürich 8001", "Zürich", "CH"),  # postcode after the city
        ("Warsaw", "Warszawa", "PL"),  # English names
        ("Geneva", "Genève", "CH"),
        ("Stalowa Wola", "Stalowa Wola", "PL"),  # longest name wins over the district "Wola"
    ],
)
def test_offline_geocoder_handles_common_address_shapes(query, city, country):
    place = geocode(query)
    assert (place.city, place.country) == (city, country)


def test_offline_geocoder_reports_district_with_its_city():
    place = geocode("ul. Puławska 100, Mokotów, Warszawa")
    assert place.city == "Warszawa"
    assert place.display.startswith("Mokotów")
    # the district's own coordinates, not the city centre
    assert haversine_km(place.lat, place.lng, *WARSZAWA) > 2


def test_offline_geocoder_prefers_largest_population_on_ties():
    # "Chełm" is a town in Lubelskie and a smaller district of Gdańsk
    assert geocode("Chełm").city == "Chełm"
    assert geocode("Chełm, Gdańsk").city == "Gdańsk"


def test_offline_geocoder_respects_country_codes():
    assert geocode("Zürich", country_codes=["ch"]).country == "CH"
    with pytest.raises(GeocodingError):
        geocode("Zürich", country_codes=["PL"])


def test_unknown_address_raises_geocoding_error():
    with pytest.raises(GeocodingError) as excinfo:
        geocode("1600 Pennsylvania Avenue, Washington")
    assert "could not find" in str(excinfo.value)


@pytest.mark.parametrize("query", ["", "   ", "\n\t", None])
def test_empty_address_raises_geocoding_error(query):
    with pytest.raises(GeocodingError):
        geocode(query)


def test_overlong_address_raises_geocoding_error():
    with pytest.raises(GeocodingError):
        geocode("Warszawa " * 40)


def test_offline_gazetteer_is_a_geopy_geocoder_returning_locations():
    geocoder = OfflineGazetteer()
    assert isinstance(geocoder, Geocoder)
    location = geocoder.geocode("8001 Zürich")
    assert isinstance(location, Location)
    assert location.raw["city"] == "Zürich"
    assert location.raw["country"] == "CH"
    assert location.raw["address"]["country_code"] == "ch"
    assert geocoder.geocode("no such place anywhere") is None
    many = geocoder.geocode("Śródmieście", exactly_one=False)
    assert isinstance(many, list)
    assert {loc.raw["city"] for loc in many} == {"Warszawa", "Wrocław", "Gdańsk"}


def test_offline_gazetteer_reverse_returns_nearest_locality():
    location = OfflineGazetteer().reverse("47.3769, 8.5417")
    assert isinstance(location, Location)
    assert location.raw["city"] == "Zürich"


def test_reverse_names_the_nearest_city():
    assert reverse(52.2297, 21.0122).city == "Warszawa"  # Warsaw, Palace of Culture
    assert reverse(46.5197, 6.6323).city == "Lausanne"
    place = reverse(50.0647, 19.9450)  # Kraków, main square
    assert (place.city, place.country) == ("Kraków", "PL")


def test_reverse_far_from_any_known_locality_returns_none():
    assert reverse(40.7128, -74.0060) is None  # New York


def test_reverse_rejects_invalid_coordinates():
    with pytest.raises(GeocodingError):
        reverse(95, 10)


def test_get_geocoder_returns_offline_gazetteer_by_default():
    geocoder = get_geocoder()
    assert isinstance(geocoder, OfflineGazetteer)
    assert get_geocoder() is geocoder  # cached


def test_get_geocoder_returns_nominatim_when_configured(settings):
    settings.GEOCODER = "nominatim"
    settings.GEOCODER_USER_AGENT = "fieldfriends-tests"
    settings.GEOCODER_TIMEOUT_SECONDS = 3
    geocoder = get_geocoder()
    assert isinstance(geocoder, Nominatim)
    assert geocoder.headers["User-Agent"] == "fieldfriends-tests"
    assert geocoder.timeout == 3
    assert get_geocoder() is geocoder
    settings.GEOCODER = "offline"
    assert isinstance(get_geocoder(), OfflineGazetteer)


def test_geocode_with_nominatim_uses_address_details(settings, monkeypatch):
    settings.GEOCODER = "nominatim"
    calls = {}

    def fake_geocode(self, query, **kwargs):
        calls.update(kwargs, query=query)
        raw = {"address": {"town": "Thun", "country_code": "ch"}}
        return Location("Bälliz 1, 3600 Thun, Schweiz", (46.758, 7.628), raw)

    monkeypatch.setattr(Nominatim, "geocode", fake_geocode)
    place = geocode("Bälliz 1, 3600 Thun", country_codes=["ch"])
    assert calls["addressdetails"] is True
    assert calls["country_codes"] == ["ch"]
    assert place == Place(46.758, 7.628, "Thun", "CH", "Bälliz 1, 3600 Thun, Schweiz")


def test_geocoder_service_errors_become_geocoding_errors(settings, monkeypatch):
    from geopy.exc import GeocoderTimedOut

    settings.GEOCODER = "nominatim"

    def timing_out(self, query, **kwargs):
        raise GeocoderTimedOut("Service timed out")

    monkeypatch.setattr(Nominatim, "geocode", timing_out)
    with pytest.raises(GeocodingError) as excinfo:
        geocode("Bahnhofstrasse 1, Zürich")
    assert "unavailable" in str(excinfo.value)


def test_offline_geocoding_never_opens_a_socket(monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("the offline geocoder must not use the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket.socket, "connect_ex", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    geo._gazetteer.cache_clear()  # include the lazy data load
    assert geocode("ul. Długa 5, 80-827 Gdańsk").city == "Gdańsk"
    assert reverse(46.948, 7.4474).city == "Bern"
    with pytest.raises(GeocodingError):
        geocode("1600 Pennsylvania Avenue, Washington")  # outside the shipped Europe


# --- Coordinates and distances ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lat", "lng"),
    [
        (91, 0),
        (-90.5, 0),
        (0, 180.01),
        (0, -181),
        (math.nan, 0),
        (0, math.inf),
        ("x", 1),
        (None, 1),
    ],
)
def test_validate_coordinates_rejects_invalid_values(lat, lng):
    with pytest.raises(GeocodingError):
        validate_coordinates(lat, lng)


def test_validate_coordinates_accepts_and_returns_floats():
    assert validate_coordinates("52.5", 21) == (52.5, 21.0)
    assert validate_coordinates(-90, 180) == (-90.0, 180.0)


def test_haversine_known_distance():
    # Warszawa - Kraków is about 252 km as the crow flies
    assert haversine_km(*WARSZAWA, 50.06143, 19.93658) == pytest.approx(252, abs=3)
    assert haversine_km(*ZURICH, *ZURICH) == 0


@pytest.mark.parametrize(
    "pair",
    [
        (WARSZAWA, (50.06143, 19.93658)),  # Warszawa - Kraków
        (ZURICH, (46.20222, 6.14569)),  # Zürich - Genève
        (WARSZAWA, ZURICH),
        (ZURICH, (47.37, 8.56)),  # under 1 km
        ((54.35, 18.65), (49.3, 19.95)),  # Gdańsk - Zakopane (north-south)
    ],
)
def test_haversine_and_geodesic_agree_within_half_a_percent(pair):
    (lat1, lng1), (lat2, lng2) = pair
    h = haversine_km(lat1, lng1, lat2, lng2)
    g = geodesic_km(lat1, lng1, lat2, lng2)
    assert h == pytest.approx(g, rel=0.005)


def test_approx_point_is_stable_for_all_points_in_a_cell():
    rng = random.Random(20240601)
    lat, lng = 52.2297, 21.0122
    cell = approx_point(lat, lng)
    assert approx_point(lat, lng) == cell  # same every time
    dlat = 1000 / 111_320
    dlng = 1000 / (111_320 * math.cos(math.radians(cell[0])))
    for _ in range(1000):
        p_lat = cell[0] + rng.uniform(-0.499, 0.499) * dlat
        p_lng = cell[1] + rng.uniform(-0.499, 0.499) * dlng
        assert approx_point(p_lat, p_lng) == cell


def test_approx_point_is_within_a_kilometre_of_the_original():
    rng = random.Random(7)
    for _ in range(500):
        lat, lng = rng.uniform(45.5, 55.0), rng.uniform(5.5, 24.5)  # CH and PL
        a_lat, a_lng = approx_point(lat, lng)
        assert haversine_km(lat, lng, a_lat, a_lng) <= 0.75
        assert (a_lat, a_lng) == (round(a_lat, 5), round(a_lng, 5))


def test_approx_point_differs_for_points_far_apart():
    assert approx_point(*WARSZAWA) != approx_point(52.25, 21.01)  # ~2 km north
    assert approx_point(*WARSZAWA) != approx_point(52.22977, 21.05)  # ~2.6 km east
    assert approx_point(*WARSZAWA) != approx_point(*ZURICH)


def test_approx_point_uses_the_configured_grid(settings):
    settings.APPROX_GRID_METRES = 5000
    coarse = approx_point(*WARSZAWA)
    assert coarse == approx_point(*WARSZAWA, grid_m=5000)
    assert coarse != approx_point(*WARSZAWA, grid_m=1000)
    assert haversine_km(*WARSZAWA, *coarse) <= 3.6


@pytest.mark.parametrize(
    "centre", [WARSZAWA, ZURICH, (0.0, 0.0), (-33.9, 18.4), (70.0, 25.0), (84.0, -40.0)]
)
@pytest.mark.parametrize("radius_km", [0.5, 2, 10, 25, 100])
def test_bounding_box_contains_circle_in_all_directions(centre, radius_km):
    min_lat, max_lat, min_lng, max_lng = bounding_box(*centre, radius_km)
    assert min_lat < centre[0] < max_lat
    assert min_lng < centre[1] < max_lng
    for bearing in range(0, 360, 45):
        lat, lng = _destination(*centre, radius_km, bearing)
        assert haversine_km(*centre, lat, lng) == pytest.approx(radius_km, rel=1e-6)
        assert min_lat <= lat <= max_lat, bearing
        assert min_lng <= lng <= max_lng, bearing


def test_bounding_box_is_not_much_bigger_than_needed():
    min_lat, max_lat, min_lng, max_lng = bounding_box(*WARSZAWA, 10)
    assert haversine_km(min_lat, WARSZAWA[1], max_lat, WARSZAWA[1]) == pytest.approx(20, rel=0.02)
    assert haversine_km(WARSZAWA[0], min_lng, WARSZAWA[0], max_lng) == pytest.approx(20, rel=0.02)


def test_bounding_box_near_pole_and_antimeridian_spans_all_longitudes():
    assert bounding_box(89.95, 10, 10)[2:] == (-180.0, 180.0)
    assert bounding_box(0.0, 179.99, 5)[2:] == (-180.0, 180.0)
    assert bounding_box(89.95, 10, 10)[1] == 90.0
