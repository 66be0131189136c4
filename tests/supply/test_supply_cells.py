"""Area cells: a regular grid per market, the same cell in Python and in the database, and the
SUPPLY_CELL_KM setting checked at start-up."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketplace.core.geo import haversine_km
from marketplace.pricing.models import Market
from marketplace.supply.cells import Cell, Grid, grid_for, reference_latitude

ROOT = Path(__file__).resolve().parents[2]
SWISS = Grid(km=5, reference_lat=46.8)

lats = st.floats(min_value=-85, max_value=85, allow_nan=False)
lngs = st.floats(min_value=-179.9, max_value=179.9, allow_nan=False)


def test_it_puts_zurich_in_a_fixed_cell():
    # dlat = 5 / 111.195 km ≈ 0.044966°; dlng = dlat / cos(46.8°) ≈ 0.065680°
    assert SWISS.cell_of(47.37689, 8.54169) == Cell(1053, 130)
    assert SWISS.cell_of(46.94809, 7.44744) == Cell(1044, 113)  # Bern


def test_cells_are_the_configured_size_at_the_reference_latitude():
    b = SWISS.bounds(Cell(1040, 120))
    assert b.centre_lat == pytest.approx(46.8, abs=0.05)
    assert haversine_km(b.south, b.west, b.north, b.west) == pytest.approx(5, rel=1e-3)
    width = haversine_km(46.8, b.west, 46.8, b.east)
    assert width == pytest.approx(5, rel=1e-3)


def test_negative_coordinates_round_down():
    assert SWISS.cell_of(-0.001, -0.001) == Cell(-1, -1)
    assert SWISS.cell_of(0.0, 0.0) == Cell(0, 0)


@given(lat=lats, lng=lngs)
def test_a_point_lies_within_its_cells_bounds_and_the_centre_maps_back(lat, lng):
    cell = SWISS.cell_of(lat, lng)
    b = SWISS.bounds(cell)
    assert b.south - 1e-5 <= lat <= b.north + 1e-5
    assert b.west - 1e-5 <= lng <= b.east + 1e-5
    assert SWISS.cell_of(*SWISS.centre(cell)) == cell


def test_cell_ids_round_trip_and_bad_ids_are_refused():
    assert Cell.parse(Cell(1053, -4).key) == Cell(1053, -4)
    for bad in ("", "1053", "a:b", "1:2:3", "1.5:2"):
        with pytest.raises(ValueError):
            Cell.parse(bad)


@pytest.mark.django_db
def test_the_grid_follows_the_setting_and_the_market(ch, pl, settings):
    assert grid_for(ch) == Grid(km=5, reference_lat=46.8)
    assert grid_for(pl).reference_lat == 52.0
    settings.SUPPLY_CELL_KM = 2
    assert grid_for(ch).km == 2
    assert reference_latitude("FR") == 50.0  # markets not listed: middle of Europe
    with pytest.raises(ValueError):
        grid_for(Market(country="CH"), km=0)


@pytest.mark.parametrize("value", ["abc", "0", "101", "2.5"])
def test_a_bad_cell_size_stops_start_up(value):
    env = {**os.environ, "SUPPLY_CELL_KM": value, "DEBUG": "1"}
    result = subprocess.run(
        [sys.executable, "-c", "import marketplace.settings"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "SUPPLY_CELL_KM" in result.stderr
