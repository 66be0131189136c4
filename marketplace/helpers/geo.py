"""Geography helpers: geocoding, distances, privacy snapping and bounding boxes (DESIGN §4).

Geocoding goes through geopy's ``Geocoder`` interface, chosen by ``settings.GEOCODER``:

* ``"offline"``: :class:`OfflineGazetteer`, a geopy geocoder backed by the small GeoNames
  extract in ``data/gazetteer.csv`` (Polish and Swiss localities, CC BY 4.0). It never touches
  the network and resolves an address to its locality (city or city district).
* ``"nominatim"``: OpenStreetMap Nominatim through geopy.

Distances: :func:`haversine_km` (fast, spherical) for filtering and ranking,
:func:`geodesic_km` (WGS-84 ellipsoid, via geopy) for what is shown to people.
"""

from __future__ import annotations

import csv
import functools
import logging
import math
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from geopy.distance import geodesic
from geopy.exc import GeopyError
from geopy.geocoders import Nominatim
from geopy.geocoders.base import Geocoder
from geopy.location import Location
from geopy.point import Point

logger = logging.getLogger(__name__)

EARTH_RADIUS_KM = 6371.0088  # mean Earth radius (IUGG)
METRES_PER_DEGREE_LAT = 111_320.0
MAX_QUERY_LENGTH = 300
# ``reverse()`` names the nearest gazetteer locality only when it is at most this far away.
REVERSE_MAX_DISTANCE_KM = 75.0

GAZETTEER_PATH = Path(__file__).resolve().parent / "data" / "gazetteer.csv"
COUNTRY_NAMES = {"PL": "Poland", "CH": "Switzerland"}

NOT_FOUND_MESSAGE = _("We could not find that address. Please check it and try again.")
EMPTY_MESSAGE = _("Please enter an address.")
TOO_LONG_MESSAGE = _("That address is too long.")
UNAVAILABLE_MESSAGE = _("The address lookup is unavailable right now. Please try again later.")
BAD_COORDINATES_MESSAGE = _("That location is not valid.")


@dataclass(frozen=True)
class Place:
    lat: float
    lng: float
    city: str
    country: str  # ISO 3166-1 alpha-2, upper case ("" when unknown)
    display: str


class GeocodingError(Exception):
    """A location could not be resolved; ``str(exc)`` is suitable for end users."""

    def __init__(self, message: Any = NOT_FOUND_MESSAGE):
        super().__init__(message)

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


# --- Text normalisation -------------------------------------------------------------------------

_NON_ALNUM = re.compile(r"[^0-9a-z]+")
# A trailing postcode in a folded token: Polish "00-001" (folded "00 001"), Swiss "8001",
# optionally prefixed "PL-"/"CH-" (folded "pl 00 001", "ch 8001").
_TRAILING_POSTCODE = re.compile(r"(?:\s+(?:(?:pl|ch)\s+)?(?:\d{2}\s\d{3}|\d{4}))+$")
_MAX_NAME_WORDS = 4


def fold(text: str) -> str:
    """Case-, accent- and punctuation-insensitive key: ``"Łódź"`` → ``"lodz"``."""
    text = text.replace("ł", "l").replace("Ł", "L").replace("ß", "ss")
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _NON_ALNUM.sub(" ", stripped.casefold()).strip()


# --- Offline gazetteer --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Locality:
    name: str
    ascii_name: str
    country: str
    admin1: str
    lat: float
    lng: float
    population: int
    part_of: str  # the city a district belongs to ("" for a city or town)
    alt_names: tuple[str, ...]

    @property
    def city(self) -> str:
        return self.part_of or self.name

    @property
    def display(self) -> str:
        parts = [self.name]
        if self.part_of:
            parts.append(self.part_of)
        parts.append(COUNTRY_NAMES.get(self.country, self.country))
        return ", ".join(parts)


@dataclass(frozen=True)
class _Gazetteer:
    localities: tuple[_Locality, ...]
    by_key: dict[str, tuple[_Locality, ...]]


@functools.cache
def _gazetteer() -> _Gazetteer:
    """Load ``data/gazetteer.csv`` once per process."""
    localities = []
    index: dict[str, list[_Locality]] = {}
    with GAZETTEER_PATH.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            alt_names = tuple(a for a in (row.get("alt_names") or "").split("|") if a)
            loc = _Locality(
                name=row["name"],
                ascii_name=row["ascii_name"],
                country=row["country"].upper(),
                admin1=row["admin1"],
                lat=float(row["lat"]),
                lng=float(row["lng"]),
                population=int(row["population"] or 0),
                part_of=row.get("part_of") or "",
                alt_names=alt_names,
            )
            localities.append(loc)
            keys = {fold(n) for n in (loc.name, loc.ascii_name, *alt_names)} - {""}
            for key in keys:
                index.setdefault(key, []).append(loc)
    by_key = {
        key: tuple(sorted(locs, key=lambda loc: -loc.population)) for key, locs in index.items()
    }
    return _Gazetteer(localities=tuple(localities), by_key=by_key)


def _token_candidates(token: str) -> list[str]:
    """Keys to try for one comma-separated part of a query, most specific first."""
    folded = fold(token)
    if not folded:
        return []
    variants = [folded]
    without_postcode = _TRAILING_POSTCODE.sub("", folded).strip()
    if without_postcode and without_postcode != folded:
        variants.append(without_postcode)
    keys: list[str] = []
    for variant in variants:
        words = variant.split()
        keys.append(variant)
        # the last word(s): "8001 zurich" -> "zurich", "ul marszalkowska 10 warszawa" -> ...
        for n in range(min(_MAX_NAME_WORDS, len(words) - 1), 0, -1):
            keys.append(" ".join(words[-n:]))
    return list(dict.fromkeys(keys))


class OfflineGazetteer(Geocoder):
    """A geopy geocoder over the shipped GeoNames extract. Never uses the network.

    ``geocode`` finds the locality named in an address (any comma-separated part of the query, or
    the last words of a part, such as ``"8001 Zürich"``), ignoring case and diacritics.
    ``reverse`` returns the nearest locality.
    """

    def geocode(
        self,
        query: Any,
        *,
        exactly_one: bool = True,
        country_codes: str | list[str] | None = None,
        timeout: Any = None,
        **kwargs: Any,
    ) -> Location | list[Location] | None:
        if isinstance(query, dict):
            query = ", ".join(str(v) for v in query.values())
        countries = _normalise_country_codes(country_codes)
        matches = self._match(str(query), countries)
        if not matches:
            return None
        locations = [self._location(loc) for loc in matches]
        return locations[0] if exactly_one else locations

    def reverse(
        self,
        query: Any,
        *,
        exactly_one: bool = True,
        max_distance_km: float | None = None,
        country_codes: str | list[str] | None = None,
        timeout: Any = None,
        **kwargs: Any,
    ) -> Location | list[Location] | None:
        point = query if isinstance(query, Point) else Point(query)
        lat, lng = validate_coordinates(point.latitude, point.longitude)
        countries = _normalise_country_codes(country_codes)
        ranked = sorted(
            (haversine_km(lat, lng, loc.lat, loc.lng), -loc.population, i, loc)
            for i, loc in enumerate(_gazetteer().localities)
            if not countries or loc.country in countries
        )
        if max_distance_km is not None:
            ranked = [r for r in ranked if r[0] <= max_distance_km]
        if not ranked:
            return None
        if exactly_one:
            return self._location(ranked[0][3], distance_km=ranked[0][0])
        return [self._location(r[3], distance_km=r[0]) for r in ranked]

    @staticmethod
    def _match(query: str, countries: set[str]) -> list[_Locality]:
        by_key = _gazetteer().by_key
        found: dict[int, _Locality] = {}
        for token in query.split(","):
            for key in _token_candidates(token):
                hits = [
                    loc for loc in by_key.get(key, ()) if not countries or loc.country in countries
                ]
                if hits:  # the longest name found in this part wins ("Stalowa Wola" > "Wola")
                    for loc in hits:
                        found.setdefault(id(loc), loc)
                    break
        if not found:
            return []
        matches = list(found.values())
        cities = {(loc.country, loc.name) for loc in matches if not loc.part_of}

        def rank(loc: _Locality) -> tuple[int, int]:
            # A district wins when its city is named too ("Mokotów, Warszawa"); otherwise any
            # city or town named in the query beats a same-named district elsewhere.
            if not loc.part_of:
                return (-1, -loc.population)
            return (-2 if (loc.country, loc.part_of) in cities else 0, -loc.population)

        return sorted(matches, key=rank)

    @staticmethod
    def _location(loc: _Locality, *, distance_km: float | None = None) -> Location:
        address: dict[str, str] = {"city": loc.city, "country_code": loc.country.lower()}
        if loc.part_of:
            address["suburb"] = loc.name
        if loc.country in COUNTRY_NAMES:
            address["country"] = COUNTRY_NAMES[loc.country]
        raw: dict[str, Any] = {
            "name": loc.name,
            "city": loc.city,
            "country": loc.country,
            "country_code": loc.country.lower(),
            "admin1": loc.admin1,
            "population": loc.population,
            "part_of": loc.part_of,
            "lat": loc.lat,
            "lon": loc.lng,
            "address": address,
            "source": "GeoNames (CC BY 4.0)",
        }
        if distance_km is not None:
            raw["distance_km"] = round(distance_km, 3)
        return Location(loc.display, Point(loc.lat, loc.lng), raw)


def _normalise_country_codes(codes: str | list[str] | tuple[str, ...] | None) -> set[str]:
    if not codes:
        return set()
    if isinstance(codes, str):
        codes = [codes]
    return {c.strip().upper() for c in codes if c and c.strip()}


# --- Geocoder selection -------------------------------------------------------------------------


@functools.cache
def _offline_gazetteer() -> OfflineGazetteer:
    return OfflineGazetteer()


@functools.lru_cache(maxsize=8)
def _build_geocoder(name: str, user_agent: str, timeout: float) -> Geocoder:
    if name == "offline":
        return _offline_gazetteer()
    if name == "nominatim":
        return Nominatim(user_agent=user_agent, timeout=timeout)
    raise ImproperlyConfigured(f"Unknown GEOCODER {name!r}: use 'offline' or 'nominatim'")


def get_geocoder() -> Geocoder:
    """The geopy geocoder selected by ``settings.GEOCODER`` (one instance per configuration)."""
    return _build_geocoder(
        getattr(settings, "GEOCODER", "offline"),
        getattr(settings, "GEOCODER_USER_AGENT", "fieldfriends"),
        getattr(settings, "GEOCODER_TIMEOUT_SECONDS", 5),
    )


def _place_from_location(location: Location) -> Place:
    raw = location.raw if isinstance(location.raw, dict) else {}
    address = raw.get("address") if isinstance(raw.get("address"), dict) else {}
    city = next(
        (
            address[key]
            for key in ("city", "town", "village", "municipality", "hamlet")
            if address.get(key)
        ),
        raw.get("city") or "",
    )
    country = (address.get("country_code") or raw.get("country_code") or "").upper()
    return Place(
        lat=float(location.latitude),
        lng=float(location.longitude),
        city=str(city),
        country=str(country),
        display=str(location.address or city),
    )


def geocode(query: str, *, country_codes: list[str] | None = None) -> Place:
    """Resolve an address with the configured geocoder, or raise :class:`GeocodingError`."""
    query = (query or "").strip()
    if not query:
        raise GeocodingError(EMPTY_MESSAGE)
    if len(query) > MAX_QUERY_LENGTH:
        raise GeocodingError(TOO_LONG_MESSAGE)
    geocoder = get_geocoder()
    kwargs: dict[str, Any] = {"exactly_one": True}
    if country_codes:
        kwargs["country_codes"] = list(country_codes)
    if isinstance(geocoder, Nominatim):
        kwargs["addressdetails"] = True
    try:
        location = geocoder.geocode(query, **kwargs)
    except (GeopyError, TimeoutError, OSError) as exc:
        logger.warning("Geocoding failed (%s): %s", type(geocoder).__name__, exc)
        raise GeocodingError(UNAVAILABLE_MESSAGE) from exc
    if location is None:
        raise GeocodingError(NOT_FOUND_MESSAGE)
    if isinstance(location, list):  # a geocoder that ignores exactly_one
        location = location[0]
    return _place_from_location(location)


def reverse(lat: float, lng: float) -> Place | None:
    """Name the locality at a point (e.g. the browser's "use my location"), or None.

    Uses the configured geocoder; if that fails (service down), falls back to the offline
    gazetteer. Raises :class:`GeocodingError` for invalid coordinates.
    """
    lat, lng = validate_coordinates(lat, lng)
    geocoder = get_geocoder()
    if isinstance(geocoder, OfflineGazetteer):
        location = geocoder.reverse((lat, lng), max_distance_km=REVERSE_MAX_DISTANCE_KM)
    else:
        kwargs: dict[str, Any] = {"exactly_one": True}
        if isinstance(geocoder, Nominatim):
            kwargs.update(addressdetails=True, zoom=10)  # city level
        try:
            location = geocoder.reverse((lat, lng), **kwargs)
        except (GeopyError, TimeoutError, OSError) as exc:
            logger.warning("Reverse geocoding failed (%s): %s", type(geocoder).__name__, exc)
            location = _offline_gazetteer().reverse(
                (lat, lng), max_distance_km=REVERSE_MAX_DISTANCE_KM
            )
    if location is None:
        return None
    if isinstance(location, list):
        location = location[0]
    return _place_from_location(location)


# --- Coordinates and distances ------------------------------------------------------------------


def validate_coordinates(lat: Any, lng: Any) -> tuple[float, float]:
    """Return ``(lat, lng)`` as floats, or raise :class:`GeocodingError` if invalid."""
    if isinstance(lat, bool) or isinstance(lng, bool):
        raise GeocodingError(BAD_COORDINATES_MESSAGE)
    try:
        lat_f, lng_f = float(lat), float(lng)
    except (TypeError, ValueError) as exc:
        raise GeocodingError(BAD_COORDINATES_MESSAGE) from exc
    if not (math.isfinite(lat_f) and math.isfinite(lng_f)):
        raise GeocodingError(BAD_COORDINATES_MESSAGE)
    if not (-90.0 <= lat_f <= 90.0 and -180.0 <= lng_f <= 180.0):
        raise GeocodingError(BAD_COORDINATES_MESSAGE)
    return lat_f, lng_f


def haversine_km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in km on a sphere of radius :data:`EARTH_RADIUS_KM`."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlmb = math.radians(lng2 - lng1)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def geodesic_km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Ellipsoidal (WGS-84) distance in km, for figures shown to people."""
    return geodesic((lat1, lng1), (lat2, lng2)).km


def approx_point(lat: float, lng: float, grid_m: int | None = None) -> tuple[float, float]:
    """A stable approximate location: the centre of the ~``grid_m`` metre grid cell of a point.

    Latitude is snapped to multiples of ``grid_m / 111320`` degrees; the longitude step is derived
    from the cosine of the snapped cell's centre latitude, so every point of a cell maps to the
    same centre, every time. The result is rounded to 5 decimals.
    """
    lat, lng = validate_coordinates(lat, lng)
    grid = settings.APPROX_GRID_METRES if grid_m is None else grid_m
    if not grid or grid <= 0:
        raise ValueError("grid_m must be positive")
    dlat = grid / METRES_PER_DEGREE_LAT
    centre_lat = (math.floor(lat / dlat) + 0.5) * dlat
    centre_lat = max(-90.0, min(90.0, centre_lat))
    cos_lat = max(math.cos(math.radians(centre_lat)), 1e-9)
    dlng = min(360.0, grid / (METRES_PER_DEGREE_LAT * cos_lat))
    centre_lng = (math.floor(lng / dlng) + 0.5) * dlng
    centre_lng = max(-180.0, min(180.0, centre_lng))
    return round(centre_lat, 5), round(centre_lng, 5)


def bounding_box(lat: float, lng: float, radius_km: float) -> tuple[float, float, float, float]:
    """``(min_lat, max_lat, min_lng, max_lng)`` containing the ``radius_km`` circle around a point.

    Uses the exact spherical extent plus a small safety margin. When the circle reaches a pole
    or crosses the antimeridian, the longitude range is the whole ``[-180, 180]``.
    """
    lat, lng = validate_coordinates(lat, lng)
    if radius_km < 0 or not math.isfinite(radius_km):
        raise ValueError("radius_km must be a non-negative number")
    angle = (radius_km * 1.01 + 0.001) / EARTH_RADIUS_KM  # radians, with a ~1 % (+1 m) margin
    dlat = math.degrees(angle)
    min_lat, max_lat = lat - dlat, lat + dlat
    if angle >= math.pi / 2 or max_lat >= 90.0 or min_lat <= -90.0:
        return max(min_lat, -90.0), min(max_lat, 90.0), -180.0, 180.0
    cos_lat = max(math.cos(math.radians(lat)), 1e-12)
    dlng = math.degrees(math.asin(min(1.0, math.sin(angle) / cos_lat)))
    min_lng, max_lng = lng - dlng, lng + dlng
    if min_lng < -180.0 or max_lng > 180.0:
        return min_lat, max_lat, -180.0, 180.0
    return min_lat, max_lat, min_lng, max_lng
