"""Geography helpers: geocoding, distances, privacy snapping and bounding boxes (DESIGN §4).

Geocoding goes through geopy's ``Geocoder`` interface, chosen by ``settings.GEOCODER``:

* ``"offline"``: :class:`OfflineGazetteer`, a geopy geocoder backed by the GeoNames extract in
  ``data/`` (CC BY 4.0): ``gazetteer.csv`` (Polish and Swiss localities, hand-curated) and
  ``gazetteer_europe.csv.gz`` (every other European country), towns of 15,000 people or more.
  It never touches the network and resolves an address to its locality (city or city
  district), so its results are town-centre precision.
* ``"nominatim"``: OpenStreetMap Nominatim through geopy.

Distances: :func:`haversine_km` (fast, spherical) for filtering and ranking,
:func:`geodesic_km` (WGS-84 ellipsoid, via geopy) for what is shown to people.
"""

from __future__ import annotations

import csv
import functools
import gzip
import itertools
import logging
import math
import re
import unicodedata
from dataclasses import dataclass, field
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
# Near a border the nearest town may lie across it (the gazetteer has no borders): a town of a
# preferred country (one with a market) wins when it is at most this much farther away.
REVERSE_BORDER_SLACK_KM = 10.0

DATA_DIR = Path(__file__).resolve().parent / "data"
GAZETTEER_PATH = DATA_DIR / "gazetteer.csv"  # Poland and Switzerland, hand-curated
EUROPE_GAZETTEER_PATH = DATA_DIR / "gazetteer_europe.csv.gz"  # the rest of Europe
COUNTRIES_PATH = DATA_DIR / "countries.csv"

# How exactly a resolved point is known (stored on each job as `location_precision`).
PRECISION_STREET = "street"  # a street address (house or street) from a full geocoder
PRECISION_POSTCODE = "postcode"  # the centre of a postcode area
PRECISION_TOWN = "town"  # the centre of a town or city district (the offline gazetteer)
PRECISION_DEVICE = "device"  # coordinates from the person's device (browser geolocation)

# Country names people write in addresses, besides GeoNames' English name (countries.csv):
# "…, 10178 Berlin, Deutschland" prefers German places. Folded (see `fold`).
COUNTRY_ALIASES = {
    "AT": ["Österreich", "Oesterreich"],
    "BE": ["België", "Belgique", "Belgien"],
    "CH": ["Schweiz", "Suisse", "Svizzera", "Svizra", "Helvetia"],
    "CZ": ["Česko", "Česká republika", "Czech Republic"],
    "DE": ["Deutschland", "Allemagne", "Niemcy"],
    "DK": ["Danmark"],
    "EE": ["Eesti"],
    "ES": ["España"],
    "FI": ["Suomi"],
    "GB": ["UK", "Great Britain", "England", "Scotland", "Wales", "Northern Ireland"],
    "GR": ["Hellas", "Ellada"],
    "HR": ["Hrvatska"],
    "HU": ["Magyarország"],
    "IE": ["Éire", "Eire"],
    "IT": ["Italia"],
    "LT": ["Lietuva"],
    "LU": ["Lëtzebuerg", "Luxemburg"],
    "LV": ["Latvija"],
    "NL": ["Nederland", "Netherlands", "Holland"],
    "NO": ["Norge", "Noreg"],
    "PL": ["Polska", "Polen", "Pologne"],
    "PT": ["Portugal"],
    "RO": ["România"],
    "RS": ["Srbija"],
    "SE": ["Sverige"],
    "SI": ["Slovenija"],
    "SK": ["Slovensko"],
    "UA": ["Ukraina", "Україна"],
    "AL": ["Shqipëria"],
    "BA": ["Bosna i Hercegovina"],
    "ME": ["Crna Gora"],
    "MK": ["Severna Makedonija"],
    "XK": ["Kosova", "Kosovo"],
    "MT": ["Malta"],
    "CY": ["Kypros"],
    "IS": ["Ísland"],
}

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
    # PRECISION_* ("" when the geocoder does not say); not part of a place's identity.
    precision: str = field(default="", compare=False)


class GeocodingError(Exception):
    """A location could not be resolved; ``str(exc)`` is suitable for end users."""

    def __init__(self, message: Any = NOT_FOUND_MESSAGE):
        super().__init__(message)

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


# --- Text normalisation -------------------------------------------------------------------------

_NON_ALNUM = re.compile(r"[^0-9a-z]+")
# A trailing postcode in a folded token: Polish "00-001" (folded "00 001"), Swiss "8001",
# German "10178", Czech/Swedish "110 00", Portuguese "1000-001", Dutch "1012 AB", British
# "SW1A 1AA", optionally prefixed by a country code ("PL-", "CH-", "D-", "LV-"...).
_TRAILING_POSTCODE = re.compile(
    r"(?:\s+(?:[a-z]{1,2}\s+)?(?:\d{2}\s\d{3}|\d{3}\s\d{2}|\d{4}\s\d{3}|\d{4}\s[a-z]{2}"
    r"|\d{3,6}|[a-z]{1,2}\d[a-z\d]?\s\d[a-z]{2}))+$"
)
# The words of a query (hyphenated groups kept together: "00-001", "CH-8001").
_WORD = re.compile(r"[0-9A-Za-z]+(?:-[0-9A-Za-z]+)*")
_COUNTRY_PREFIX = re.compile(r"^[A-Za-z]{1,2}-(?=\d)")
_MAX_NAME_WORDS = 4


def fold(text: str) -> str:
    """Case-, accent- and punctuation-insensitive key: ``"Łódź"`` → ``"lodz"``."""
    if text.isascii():  # most names: no accents to strip
        return _NON_ALNUM.sub(" ", text.lower()).strip()
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
        parts.append(country_name(self.country))
        return ", ".join(parts)


@dataclass(frozen=True)
class Country:
    code: str  # ISO 3166-1 alpha-2
    name: str  # GeoNames' English name
    currency: str  # ISO 4217
    languages: tuple[str, ...]  # ISO 639-1, the main one first
    time_zone: str  # IANA, of the country's largest city
    postcode: re.Pattern | None


# How a name matched: the locality's own name, an alias curated for Poland and Switzerland
# (gazetteer.csv), or one of GeoNames' alternative names (rest of Europe). Better first.
_NAME, _ALIAS, _ALT_NAME = 0, 1, 2


@dataclass(frozen=True)
class _Gazetteer:
    localities: tuple[_Locality, ...]
    by_key: dict[str, tuple[tuple[int, _Locality], ...]]
    countries: dict[str, Country]
    country_keys: dict[str, str]  # folded country name -> code


def _load_countries() -> dict[str, Country]:
    countries = {}
    with COUNTRIES_PATH.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            pattern = row["postcode_regex"].strip()
            try:
                compiled = re.compile(pattern, re.IGNORECASE) if pattern else None
            except re.error:  # pragma: no cover - the shipped patterns all compile
                compiled = None
            countries[row["code"]] = Country(
                code=row["code"],
                name=row["name"],
                currency=row["currency"],
                languages=tuple(lang for lang in row["languages"].split("|") if lang),
                time_zone=row["time_zone"],
                postcode=compiled,
            )
    return countries


def _read_rows(path: Path, quality: int):
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            yield row, quality


@functools.cache
def _gazetteer() -> _Gazetteer:
    """Load the gazetteer files once per process (~8,100 localities, ~0.2 s)."""
    localities = []
    index: dict[str, dict[int, tuple[int, _Locality]]] = {}
    rows = [
        *_read_rows(GAZETTEER_PATH, _ALIAS),
        *_read_rows(EUROPE_GAZETTEER_PATH, _ALT_NAME),
    ]
    for row, alias_quality in rows:
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
        named = {fold(loc.name), fold(loc.ascii_name)} - {""}
        for key in named:
            index.setdefault(key, {})[id(loc)] = (_NAME, loc)
        for key in {fold(a) for a in alt_names} - named - {""}:
            index.setdefault(key, {})[id(loc)] = (alias_quality, loc)
    by_key = {
        key: tuple(sorted(hits.values(), key=lambda hit: (hit[0], -hit[1].population)))
        for key, hits in index.items()
    }
    countries = _load_countries()
    country_keys = {fold(c.name): c.code for c in countries.values()}
    for code, names in COUNTRY_ALIASES.items():
        for name in names:
            country_keys.setdefault(fold(name), code)
    return _Gazetteer(
        localities=tuple(localities),
        by_key=by_key,
        countries=countries,
        country_keys=country_keys,
    )


def countries() -> dict[str, Country]:
    """The countries the offline gazetteer covers, by ISO code."""
    return _gazetteer().countries


def country_name(code: str) -> str:
    country = countries().get((code or "").upper())
    return country.name if country else (code or "")


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
        prefer_countries: str | list[str] | None = None,
        timeout: Any = None,
        **kwargs: Any,
    ) -> Location | list[Location] | None:
        """``prefer_countries`` breaks ties between same-named places (Baden CH or AT) after
        what the query itself says (a country name, a postcode of that country's shape)."""
        if isinstance(query, dict):
            query = ", ".join(str(v) for v in query.values())
        countries = _normalise_country_codes(country_codes)
        preferred = _normalise_country_codes(prefer_countries)
        matches = self._match(str(query), countries, preferred)
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
        prefer_countries: str | list[str] | None = None,
        timeout: Any = None,
        **kwargs: Any,
    ) -> Location | list[Location] | None:
        point = query if isinstance(query, Point) else Point(query)
        lat, lng = validate_coordinates(point.latitude, point.longitude)
        countries = _normalise_country_codes(country_codes)
        # a degree of latitude is ~111 km everywhere: skip far localities before haversine
        max_dlat = 90.0 if max_distance_km is None else max_distance_km / 110.0 + 0.01
        candidates = (
            (haversine_km(lat, lng, loc.lat, loc.lng), -loc.population, i, loc)
            for i, loc in enumerate(_gazetteer().localities)
            if abs(loc.lat - lat) <= max_dlat and (not countries or loc.country in countries)
        )
        if max_distance_km is not None:
            candidates = (c for c in candidates if c[0] <= max_distance_km)
        preferred = _normalise_country_codes(prefer_countries)
        if exactly_one and not preferred:  # one pass, no sort: ~8,000 localities
            nearest = min(candidates, default=None)
            if nearest is None:
                return None
            return self._location(nearest[3], distance_km=nearest[0])
        if exactly_one:
            candidates = list(candidates)
            nearest = min(candidates, default=None)
            if nearest is None:
                return None
            home = min((c for c in candidates if c[3].country in preferred), default=None)
            if home is not None and home[0] <= nearest[0] + REVERSE_BORDER_SLACK_KM:
                nearest = home
            return self._location(nearest[3], distance_km=nearest[0])
        ranked = sorted(candidates)
        if not ranked:
            return None
        return [self._location(r[3], distance_km=r[0]) for r in ranked]

    @staticmethod
    def _match(
        query: str, countries: set[str], preferred: set[str] = frozenset()
    ) -> list[_Locality]:
        gazetteer = _gazetteer()
        by_key = gazetteer.by_key
        found: dict[int, tuple[int, _Locality]] = {}
        named_countries = set()
        for token in query.split(","):
            if code := gazetteer.country_keys.get(fold(token)):
                named_countries.add(code)  # "…, Deutschland": a hint, not a place
                continue
            for key in _token_candidates(token):
                hits = [
                    (quality, loc)
                    for quality, loc in by_key.get(key, ())
                    if not countries or loc.country in countries
                ]
                if hits:  # the longest name found in this part wins ("Stalowa Wola" > "Wola")
                    for quality, loc in hits:
                        if id(loc) not in found or quality < found[id(loc)][0]:
                            found[id(loc)] = (quality, loc)
                    break
        if not found:
            return []
        matches = list(found.values())
        cities = {(loc.country, loc.name) for _q, loc in matches if not loc.part_of}
        postcode_countries = _postcode_countries(query, {loc.country for _q, loc in matches})

        def rank(hit: tuple[int, _Locality]) -> tuple[int, ...]:
            quality, loc = hit
            # What the query says about the country first (a country named, a postcode of
            # that country's shape), then how well the name matched (its own name before an
            # alternative spelling: "Freiburg" is Freiburg im Breisgau, "1700 Freiburg" is
            # Fribourg), then the caller's preferred countries.
            hinted = (named_countries or postcode_countries) and loc.country in (
                named_countries or postcode_countries
            )
            head = (0 if hinted else 1, quality, 0 if loc.country in preferred else 1)
            # A district wins when its city is named too ("Mokotów, Warszawa"); otherwise any
            # city or town named in the query beats a same-named district elsewhere.
            if not loc.part_of:
                return (*head, -1, -loc.population)
            return (*head, -2 if (loc.country, loc.part_of) in cities else 0, -loc.population)

        return [loc for _q, loc in sorted(matches, key=rank)]

    @staticmethod
    def _location(loc: _Locality, *, distance_km: float | None = None) -> Location:
        address: dict[str, str] = {"city": loc.city, "country_code": loc.country.lower()}
        if loc.part_of:
            address["suburb"] = loc.name
        if loc.country in countries():
            address["country"] = country_name(loc.country)
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
            "precision": PRECISION_TOWN,
            "source": "GeoNames (CC BY 4.0)",
        }
        if distance_km is not None:
            raw["distance_km"] = round(distance_km, 3)
        return Location(loc.display, Point(loc.lat, loc.lng), raw)


def _postcode_countries(query: str, candidates: set[str]) -> set[str]:
    """Which of the candidate countries have a postcode of the shape written in the query
    ("10178" fits Germany, "00-001" Poland, "8001" Switzerland or Austria...)."""
    if len(candidates) < 2:
        return set()
    known = countries()
    patterns = {cc: known[cc].postcode for cc in candidates if cc in known and known[cc].postcode}
    found = set()
    for token in query.split(","):
        words = _WORD.findall(token)
        # single words ("10178", "00-001", "CH-4051") and pairs ("SW1A 1AA", "1012 AB")
        for text in [*words, *(f"{a} {b}" for a, b in itertools.pairwise(words))]:
            if not any(ch.isdigit() for ch in text):
                continue
            bare = _COUNTRY_PREFIX.sub("", text)  # "CH-4051", "D-10178": prefix optional
            for cc, pattern in patterns.items():
                if pattern.match(text) or pattern.match(bare):
                    found.add(cc)
    return found


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


# Nominatim's `addresstype` / `type` for results that are an area (a town, a district, a
# region), not a street address. A house number is `class=place, type=house` (addresstype
# "place" or "building"), so the type is read first.
_TOWN_TYPES = {
    "city", "town", "village", "hamlet", "municipality", "suburb", "city_district", "district",
    "borough", "quarter", "neighbourhood", "isolated_dwelling", "locality", "county", "state",
    "region", "province", "country", "administrative", "island",
}  # fmt: skip
_HOUSE_TYPES = {"house", "house_number", "building", "address", "apartments", "detached"}


def precision_of(location: Location) -> str:
    """How exact a geopy result is: PRECISION_STREET, _POSTCODE, _TOWN, or "" if unknown.

    Reads Nominatim's ``addresstype``/``class``/``type`` (and, for other geocoders, whether the
    address names a house number or a road); the offline gazetteer says ``town`` itself."""
    raw = location.raw if isinstance(location.raw, dict) else {}
    if raw.get("precision"):
        return str(raw["precision"])
    kind = str(raw.get("addresstype") or "").lower()
    cls, typ = str(raw.get("class") or "").lower(), str(raw.get("type") or "").lower()
    if "postcode" in (kind, typ):
        return PRECISION_POSTCODE
    if typ in _HOUSE_TYPES or kind in _HOUSE_TYPES or kind == "road" or cls == "highway":
        return PRECISION_STREET
    if kind in _TOWN_TYPES or typ in _TOWN_TYPES or cls == "boundary":
        return PRECISION_TOWN
    if kind or cls or typ:  # an amenity, a shop, an office...: a point at a street address
        return PRECISION_STREET
    address = raw.get("address") if isinstance(raw.get("address"), dict) else {}
    if address.get("house_number") or address.get("road") or address.get("street"):
        return PRECISION_STREET
    if address.get("postcode") and not address.get("city"):
        return PRECISION_POSTCODE
    return ""


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
        precision=precision_of(location),
    )


def geocode(
    query: str,
    *,
    country_codes: list[str] | None = None,
    prefer_countries: list[str] | None = None,
) -> Place:
    """Resolve an address with the configured geocoder, or raise :class:`GeocodingError`.

    ``prefer_countries`` (e.g. the countries with a market) settles ties between same-named
    towns in the offline gazetteer; a full geocoder reads the whole address instead."""
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
    if prefer_countries and isinstance(geocoder, OfflineGazetteer):
        kwargs["prefer_countries"] = list(prefer_countries)
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


def reverse(lat: float, lng: float, *, prefer_countries: list[str] | None = None) -> Place | None:
    """Name the locality at a point (e.g. the browser's "use my location"), or None.

    Uses the configured geocoder; if that fails (service down), falls back to the offline
    gazetteer. Raises :class:`GeocodingError` for invalid coordinates. With the offline
    gazetteer, ``prefer_countries`` (those with a market) win near a border: their nearest town
    is taken when it is at most REVERSE_BORDER_SLACK_KM farther than the nearest one.
    """
    lat, lng = validate_coordinates(lat, lng)
    geocoder = get_geocoder()
    offline_kwargs: dict[str, Any] = {"max_distance_km": REVERSE_MAX_DISTANCE_KM}
    if prefer_countries:
        offline_kwargs["prefer_countries"] = list(prefer_countries)
    if isinstance(geocoder, OfflineGazetteer):
        location = geocoder.reverse((lat, lng), **offline_kwargs)
    else:
        kwargs: dict[str, Any] = {"exactly_one": True}
        if isinstance(geocoder, Nominatim):
            kwargs.update(addressdetails=True, zoom=10)  # city level
        try:
            location = geocoder.reverse((lat, lng), **kwargs)
        except (GeopyError, TimeoutError, OSError) as exc:
            logger.warning("Reverse geocoding failed (%s): %s", type(geocoder).__name__, exc)
            location = _offline_gazetteer().reverse((lat, lng), **offline_kwargs)
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
