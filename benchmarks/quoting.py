"""Quoting over the supply benchmark's jobs (issue 3): `quote()` latency, and the quote/choice
summary of a market × month (`jobs.selectors.quote_choices`, one aggregate query) against a
naive Python loop over the same rows, with a check that both agree."""

from __future__ import annotations

import time
from collections import defaultdict
from datetime import datetime, timedelta
from datetime import time as dt_time
from zoneinfo import ZoneInfo

from benchmarks.supply_data import MONTH, MONTH_MARKET, Timing, month_window
from marketplace.core.money import share_half_up
from marketplace.jobs.models import JobRequest
from marketplace.jobs.selectors import quote_choices
from marketplace.pricing.models import Market, ServiceCategory
from marketplace.pricing.services import quote


def naive_choices(market: Market, start, end) -> list[dict]:
    groups: dict[str, dict] = defaultdict(
        lambda: {"n": 0, "h": 0, "p": 0, "free": 0, "price": 0, "pro": 0}
    )
    rows = JobRequest.objects.filter(market=market).values_list(
        "created_at",
        "category__slug",
        "choice",
        "professional_install_free",
        "price",
        "professional_price",
    )
    for created, slug, choice, free, price, pro in rows.iterator(chunk_size=5_000):
        if not start <= created < end:
            continue
        g = groups[slug]
        g["n"] += 1
        g["h"] += choice == "helper"
        g["p"] += choice == "professional"
        g["free"] += bool(free)
        g["price"] += price
        g["pro"] += pro
    return [
        {
            "category": slug,
            "requests": g["n"],
            "chose_helper": g["h"],
            "chose_professional": g["p"],
            "free_install": g["free"],
            "mean_helper_price": share_half_up(g["price"], 1, g["n"]),
            "mean_professional_price": share_half_up(g["pro"], 1, g["n"]),
        }
        for slug, g in sorted(groups.items())
    ]


def _samples(fn, runs: int) -> tuple[list[int], object]:
    samples, result = [], None
    for _ in range(runs):
        started = time.perf_counter_ns()
        result = fn()
        samples.append(time.perf_counter_ns() - started)
    return samples, result


def run(*, fast_runs: int, naive_runs: int, quote_runs: int = 2_000) -> dict:
    market = Market.objects.get(code=MONTH_MARKET)
    first, last = month_window()
    tz = ZoneInfo(market.time_zone)
    start = datetime.combine(first, dt_time.min, tzinfo=tz)
    end = datetime.combine(last + timedelta(days=1), dt_time.min, tzinfo=tz)
    categories = list(ServiceCategory.objects.all())

    quote(market=market, category=categories[0])  # warm-up
    quote_samples, _ = _samples(lambda: quote(market=market, category=categories[0]), quote_runs)
    fast_samples, fast = _samples(
        lambda: quote_choices(market=market, start=start, end=end), fast_runs
    )
    naive_samples, naive = _samples(lambda: naive_choices(market, start, end), naive_runs)
    fast_t, naive_t = Timing.of(fast_samples), Timing.of(naive_samples)
    return {
        "market": MONTH_MARKET,
        "month": MONTH.isoformat(),
        "quote": Timing.of(quote_samples),
        "fast": fast_t,
        "naive": naive_t,
        "ratio": naive_t.p50_ms / fast_t.p50_ms if fast_t.p50_ms else float("inf"),
        "identical": fast == naive,
        "requests": sum(r["requests"] for r in fast),
    }
