"""What a figure is about: one market, a period [start, end), optionally one service and one
area cell, and the "within T" of the fill rate. Every economics module takes a Scope, so it has
a module of its own at the bottom of the app (the queries, the rollup and the metrics import it;
it imports none of them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from marketplace.core.errors import ValidationFailed
from marketplace.pricing.models import Market, ServiceCategory
from marketplace.supply.cells import Grid, grid_for

DAYS_PER_MONTH = 30.44


@dataclass(frozen=True)
class Scope:
    market: Market  # money is per market (one currency)
    start: datetime  # aware, inclusive
    end: datetime  # aware, exclusive
    category: ServiceCategory | None = None
    cell: tuple[int, int] | None = None  # supply grid cell (y, x), marketplace.supply.cells
    fill_within: timedelta = timedelta(hours=1)  # T in "fill rate within T"

    def __post_init__(self):
        if timezone.is_naive(self.start) or timezone.is_naive(self.end):
            raise ValidationFailed("start and end need a time zone")
        if self.start >= self.end:
            raise ValidationFailed("start must be before end")
        if self.fill_within <= timedelta(0):
            raise ValidationFailed("fill_within must be positive")

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.market.time_zone)

    @property
    def months(self) -> float:
        return (self.end - self.start).total_seconds() / 86400 / DAYS_PER_MONTH

    @property
    def grid(self) -> Grid:
        return grid_for(self.market)
