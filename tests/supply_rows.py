"""Building SupplyDemandStat rows directly, for selector, suggestion, API and page tests that need
exact figures without running the whole job lifecycle."""

from datetime import date

from django.utils import timezone

from marketplace.supply.cells import Cell, grid_for
from marketplace.supply.models import SupplyDemandStat
from tests.factories import ZURICH


def zurich_cell(market, dy: int = 0, dx: int = 0) -> Cell:
    home = grid_for(market).cell_of(*ZURICH)
    return Cell(home.y + dy, home.x + dx)


def stat(
    *,
    market,
    category,
    cell: Cell,
    day: date,
    requests: int,
    helpers: int,
    accepted: int = 0,
    median: int | None = None,
    p90: int | None = None,
    any_skill: int | None = None,
    **extra,
) -> SupplyDemandStat:
    if accepted and median is None:
        median = 600
    return SupplyDemandStat.objects.create(
        market=market,
        category=category,
        period=day,
        cell_km=grid_for(market).km,
        cell_y=cell.y,
        cell_x=cell.x,
        requests_posted=requests,
        jobs_accepted=accepted,
        active_helpers=helpers,
        active_helpers_any_skill=helpers if any_skill is None else any_skill,
        accept_seconds_sum=(median or 0) * accepted,
        median_accept_seconds=median if accepted else None,
        p90_accept_seconds=(p90 or median) if accepted else None,
        computed_at=timezone.now(),
        **extra,
    )
