"""Area cells for supply/demand figures: a regular latitude/longitude grid, per market.

A cell is the pair of integers ``(y, x) = (floor(lat / dlat), floor(lng / dlng))``:

* ``dlat = km / KM_PER_DEGREE`` (the same spherical degree length as the haversine matching
  uses), so every cell is ``km`` tall;
* ``dlng = km / (KM_PER_DEGREE × cos(reference latitude))`` with **one reference latitude per
  market** (:data:`REFERENCE_LATITUDES`, roughly the middle of the country), so cells are ``km``
  wide at that latitude and within a few per cent of it across the country (Switzerland spans
  45.8–47.8°N: ±2.5 %; Poland 49–55°N: ±8 %).

Why not a width that follows each cell's own latitude (as the privacy grid does)? Because the
cell is computed inside the database for every job when figures are refreshed, and a constant
divisor per market keeps that to one division and one FLOOR, identical in SQLite, PostgreSQL and
Python, with no trigonometry in SQL. Cells are stable: the same point always falls in the same
cell for a given ``SUPPLY_CELL_KM`` (rows are stored with their ``cell_km``; changing the setting
starts a new series, see ``supply_refresh``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.conf import settings

from marketplace.helpers.selectors import KM_PER_DEGREE

# Reference latitude (degrees) per market country: the middle of the country, rounded.
REFERENCE_LATITUDES = {"CH": 46.8, "PL": 52.0}
# Markets not listed: the middle of continental Europe. Add a market's country above when it
# launches; until then its cells are a little narrower or wider than `km` east-west.
DEFAULT_REFERENCE_LATITUDE = 50.0


@dataclass(frozen=True)
class Cell:
    y: int  # floor(lat / dlat)
    x: int  # floor(lng / dlng)

    @property
    def key(self) -> str:
        """Text id used in URLs and the API: "1053:132" (the grid's size is stated separately)."""
        return f"{self.y}:{self.x}"

    @classmethod
    def parse(cls, text: str) -> Cell:
        """The inverse of :attr:`key`; raises ValueError on anything else."""
        parts = (text or "").strip().split(":")
        if len(parts) != 2:
            raise ValueError(f"{text!r} is not a cell id (expected 'y:x', e.g. '1053:132')")
        try:
            return cls(int(parts[0]), int(parts[1]))
        except ValueError:
            raise ValueError(f"{text!r} is not a cell id (expected 'y:x', integers)") from None


@dataclass(frozen=True)
class Bounds:
    south: float
    north: float
    west: float
    east: float
    centre_lat: float
    centre_lng: float


@dataclass(frozen=True)
class Grid:
    km: int
    reference_lat: float

    @property
    def dlat(self) -> float:
        return self.km / KM_PER_DEGREE

    @property
    def dlng(self) -> float:
        return self.km / (KM_PER_DEGREE * math.cos(math.radians(self.reference_lat)))

    def cell_of(self, lat: float, lng: float) -> Cell:
        # The database computes FLOOR(lat / dlat) with the same two doubles: identical cells.
        return Cell(math.floor(lat / self.dlat), math.floor(lng / self.dlng))

    def bounds(self, cell: Cell) -> Bounds:
        """The cell's edges and centre, for display (rounded to 5 decimals, about 1 m)."""
        dlat, dlng = self.dlat, self.dlng
        return Bounds(
            south=round(cell.y * dlat, 5),
            north=round((cell.y + 1) * dlat, 5),
            west=round(cell.x * dlng, 5),
            east=round((cell.x + 1) * dlng, 5),
            centre_lat=round((cell.y + 0.5) * dlat, 5),
            centre_lng=round((cell.x + 0.5) * dlng, 5),
        )

    def centre(self, cell: Cell) -> tuple[float, float]:
        return (cell.y + 0.5) * self.dlat, (cell.x + 0.5) * self.dlng


def reference_latitude(country: str) -> float:
    return REFERENCE_LATITUDES.get((country or "").upper(), DEFAULT_REFERENCE_LATITUDE)


def grid_for(market, km: int | None = None) -> Grid:
    """The grid of a market at ``km`` (default: ``settings.SUPPLY_CELL_KM``)."""
    size = settings.SUPPLY_CELL_KM if km is None else km
    if not isinstance(size, int) or size <= 0:
        raise ValueError("The cell size must be a positive whole number of km")
    return Grid(km=size, reference_lat=reference_latitude(market.country))
