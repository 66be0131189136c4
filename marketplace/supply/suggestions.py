"""Demand-aware helper fee suggestions (DESIGN §5, issue 3 item 6). Reads only: applying one is
`services.fee_suggestion_apply`, an operator's decision recorded in the price history.

Per market × category (optionally per area cell), over the last `WINDOW_DAYS` days:

* **raise** the helper fee by `STEP_PERCENT` when demand outstrips supply: fill rate below
  `FILL_RAISE_BELOW` *and* at least one sign of missing helpers (none in range, a demand/supply
  ratio of at least `RATIO_RAISE_AT`, or a median time to accept of `SLOW_ACCEPT_S` or more);
* **lower** it by `STEP_PERCENT` when helpers are idle: fill rate of at least
  `FILL_LOWER_AT`, a ratio of at most `RATIO_LOWER_AT` (many helpers per request) and quick
  acceptance (median at most `QUICK_ACCEPT_S`);
* **keep** it otherwise, or when there were fewer than `MIN_REQUESTS` requests (too few to judge).

The ratio counts requests over the whole window, so its thresholds are per `WINDOW_DAYS` days
and scale with a different window. Over several areas the figures are pooled: total requests ÷
the sum of each area's helpers in range (a helper covering two areas counts in both, as both
areas can call on them); the median is the accepted-weighted mean of the areas' medians.

Amounts: the new fee is current × (100 ± step) % rounded half up to whole currency units with
the price book's rounding rule (`share_half_up`), then kept within the bounds: never below the
entry's `min_helper_fee`, never above its `max_helper_fee` nor the professional list price, and
never raised at all when professional installation is free for the customer (the helper can
only compete on convenience there).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils.translation import gettext, ngettext

from marketplace.core.money import format_money, share_half_up
from marketplace.pricing.models import Market, PriceBookEntry, ServiceCategory
from marketplace.pricing.services import professional_list_price
from marketplace.supply.cells import Cell
from marketplace.supply.selectors import CellFigures, market_today, supply_demand_totals

WINDOW_DAYS = 28
STEP_PERCENT = 10
MIN_REQUESTS = 5
FILL_RAISE_BELOW = 0.60
RATIO_RAISE_AT = 1.0  # requests per helper in range, per WINDOW_DAYS
SLOW_ACCEPT_S = 3600
FILL_LOWER_AT = 0.90
RATIO_LOWER_AT = 0.2  # at least five helpers in range per request, per WINDOW_DAYS
QUICK_ACCEPT_S = 1800
MINOR_PER_UNIT = 100  # every supported currency has two minor-unit digits

RAISE, LOWER, KEEP = "raise", "lower", "keep"


@dataclass(frozen=True)
class Figures:
    areas: int
    requests: int
    accepted: int
    active_helpers: int
    median_time_to_accept_s: int | None

    @property
    def ratio(self) -> float | None:
        return self.requests / self.active_helpers if self.active_helpers else None

    @property
    def fill_rate(self) -> float | None:
        return self.accepted / self.requests if self.requests else None


@dataclass(frozen=True)
class FeeSuggestion:
    entry_id: int
    market: str
    category: str  # slug
    category_name: str
    cell: Cell | None  # None: the whole market
    currency: str
    direction: str  # raise / lower / keep
    current_fee: int
    suggested_fee: int
    lowest: int  # what an operator may apply: [lowest, highest]
    highest: int
    professional_price: int  # list price
    professional_install_free: bool
    reason: str
    bounds_note: str
    window_days: int
    figures: Figures


def pool(rows: list[CellFigures]) -> Figures:
    """Figures over several cells (see the module docstring)."""
    accepted = sum(r.accepted for r in rows)
    weighted = sum(r.median_time_to_accept_s * r.accepted for r in rows if r.accepted)
    return Figures(
        areas=len(rows),
        requests=sum(r.requests for r in rows),
        accepted=accepted,
        active_helpers=sum(r.active_helpers for r in rows),
        median_time_to_accept_s=round(weighted / accepted) if accepted else None,
    )


def step_fee(fee: int, percent: int) -> int:
    """fee × (100 + percent) % in whole currency units, rounded half up (share_half_up)."""
    units = share_half_up(fee, 100 + percent, 100 * MINOR_PER_UNIT)
    return units * MINOR_PER_UNIT


def fee_bounds(entry: PriceBookEntry) -> tuple[int, int, str, str]:
    """(lowest, highest, ceiling, note) for the helper fee of `entry`: the range an operator may
    apply, what sets its top, and both bounds in words."""
    currency = entry.market.currency
    pro = professional_list_price(entry)
    caps = [
        (
            entry.max_helper_fee,
            gettext("the maximum of %(amount)s")
            % {"amount": format_money(entry.max_helper_fee, currency)},
        ),
        (
            pro,
            gettext("the professional price of %(amount)s")
            % {"amount": format_money(pro, currency)},
        ),
    ]
    if entry.pro_install_free:
        caps.append((entry.helper_fee, gettext("the current fee")))
    highest, ceiling = min(caps, key=lambda cap: cap[0])
    lowest = entry.min_helper_fee
    note = gettext("never above %(ceiling)s, nor below %(lowest)s") % {
        "ceiling": ceiling,
        "lowest": format_money(lowest, currency),
    }
    if entry.pro_install_free:
        note += f" ({_free_install(entry)})"
    return lowest, max(lowest, highest), ceiling, note


def _free_install(entry: PriceBookEntry) -> str:
    return gettext("professional installation is free in %(market)s") % {
        "market": entry.market.localized_name()
    }


def _duration(seconds: int | None) -> str:
    if seconds is None:
        return "—"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if minutes else f"{hours} h"


def _figures_text(f: Figures, window_days: int) -> str:
    if f.ratio is None:
        ratio = gettext("No helpers in range")
    else:
        ratio = gettext("Demand/supply %(ratio)s") % {
            "ratio": f"{f.ratio:.1f}" if f.ratio >= 0.1 else f"{f.ratio:.2f}"
        }
    fill = f"{round(f.fill_rate * 100)} %" if f.fill_rate is not None else "—"
    areas = ngettext("%(count)s area", "%(count)s areas", f.areas) % {"count": f.areas}
    period = ngettext("over the last day", "over the last %(count)s days", window_days) % {
        "count": window_days
    }
    requests = ngettext("%(count)s request", "%(count)s requests", f.requests) % {
        "count": f.requests
    }
    return gettext(
        "%(ratio)s and fill rate %(fill)s %(period)s in %(areas)s "
        "(%(requests)s, median wait %(wait)s)"
    ) % {
        "ratio": ratio,
        "fill": fill,
        "period": period,
        "areas": areas,
        "requests": requests,
        "wait": _duration(f.median_time_to_accept_s),
    }


def decide(f: Figures, *, window_days: int = WINDOW_DAYS) -> tuple[str, str]:
    """(direction, situation) from the figures, before any bounds."""
    scale = window_days / WINDOW_DAYS
    if f.requests < MIN_REQUESTS:
        return KEEP, gettext("too few requests to judge (at least %(count)s needed)") % {
            "count": MIN_REQUESTS
        }
    fill = f.fill_rate or 0.0
    slow = f.median_time_to_accept_s is not None and f.median_time_to_accept_s >= SLOW_ACCEPT_S
    short_of_helpers = f.ratio is None or f.ratio >= RATIO_RAISE_AT * scale or slow
    if fill < FILL_RAISE_BELOW and short_of_helpers:
        return RAISE, gettext("demand outstrips supply")
    quick = f.median_time_to_accept_s is None or f.median_time_to_accept_s <= QUICK_ACCEPT_S
    if (
        fill >= FILL_LOWER_AT
        and f.ratio is not None
        and f.ratio <= RATIO_LOWER_AT * scale
        and quick
    ):
        return LOWER, gettext("helpers are idle")
    return KEEP, gettext("supply and demand are in balance")


def suggest(
    *, entry: PriceBookEntry, figures: Figures, cell: Cell | None = None, window_days: int
) -> FeeSuggestion:
    direction, why = decide(figures, window_days=window_days)
    lowest, highest, ceiling, note = fee_bounds(entry)
    current = entry.helper_fee
    suggested = current
    free = entry.pro_install_free
    free_said = False  # the reason already says that installation is free
    if direction == RAISE:
        suggested = min(step_fee(current, STEP_PERCENT), highest)
        if suggested > current:
            why = gettext("%(why)s: raise the helper fee %(step)s %% to attract helpers") % {
                "why": why,
                "step": STEP_PERCENT,
            }
        elif free:
            direction, suggested = KEEP, current
            why = gettext("%(why)s, but %(free)s, so the fee is not raised") % {
                "why": why,
                "free": _free_install(entry),
            }
            free_said = True
        else:
            direction, suggested = KEEP, current
            why = gettext("%(why)s, but the fee is at its ceiling, %(ceiling)s") % {
                "why": why,
                "ceiling": ceiling,
            }
    elif direction == LOWER:
        # Towards the ceiling too, when the current fee is above it (the price book changed).
        suggested = max(min(step_fee(current, -STEP_PERCENT), highest), lowest)
        if suggested < current:
            why = gettext("%(why)s: lower the helper fee %(step)s %% to stimulate demand") % {
                "why": why,
                "step": STEP_PERCENT,
            }
        else:
            direction, suggested = KEEP, current
            why = gettext("%(why)s, but the fee is at its minimum") % {"why": why}
    if free and not free_said:
        why = gettext("%(why)s; %(free)s, so never raised") % {
            "why": why,
            "free": _free_install(entry),
        }
    currency = entry.market.currency
    amounts = (
        f"{format_money(current, currency)} → {format_money(suggested, currency)}"
        if suggested != current
        else gettext("Stays at %(amount)s") % {"amount": format_money(current, currency)}
    )
    reason = f"{_figures_text(figures, window_days)}. {why[0].upper()}{why[1:]}. {amounts}."
    return FeeSuggestion(
        entry_id=entry.pk,
        market=entry.market.code,
        category=entry.category.slug,
        category_name=entry.category.localized_name(),
        cell=cell,
        currency=currency,
        direction=direction,
        current_fee=current,
        suggested_fee=suggested,
        lowest=lowest,
        highest=highest,
        professional_price=professional_list_price(entry),
        professional_install_free=free,
        reason=reason,
        bounds_note=note,
        window_days=window_days,
        figures=figures,
    )


def _window(market: Market, now: datetime | None, window_days: int):
    end = market_today(market, now)
    return end - timedelta(days=window_days - 1), end


def fee_suggestions(
    *,
    market: Market,
    category: ServiceCategory | None = None,
    by_area: bool = False,
    window_days: int = WINDOW_DAYS,
    now: datetime | None = None,
) -> list[FeeSuggestion]:
    """One suggestion per price-book entry of the market (or per entry × area cell with
    `by_area`, for cells with requests in the window), in category order."""
    start, end = _window(market, now, window_days)
    entries = PriceBookEntry.objects.filter(market=market).select_related("market", "category")
    if category is not None:
        entries = entries.filter(category=category)
    suggestions = []
    for entry in entries.order_by("category__name", "pk"):
        rows = supply_demand_totals(market=market, category=entry.category, start=start, end=end)
        if by_area:
            suggestions += [
                suggest(entry=entry, figures=pool([r]), cell=r.cell, window_days=window_days)
                for r in rows
            ]
        else:
            suggestions.append(suggest(entry=entry, figures=pool(rows), window_days=window_days))
    return suggestions


def fee_suggestion_for(
    *, entry: PriceBookEntry, window_days: int = WINDOW_DAYS, now: datetime | None = None
) -> FeeSuggestion:
    """The market-wide suggestion for one price-book entry."""
    start, end = _window(entry.market, now, window_days)
    rows = supply_demand_totals(market=entry.market, category=entry.category, start=start, end=end)
    return suggest(entry=entry, figures=pool(rows), window_days=window_days)
