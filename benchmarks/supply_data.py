"""Supply/demand benchmark data and timings (`python -m benchmarks --suite supply`).

Import only after ``django.setup()`` (benchmarks/supply.py does both). The pieces:

* :func:`generate` bulk-creates a year of jobs (default 1M) around the matching benchmark's
  Polish and Swiss cities, with offers and the job events the figures read (expired,
  professional_booked), plus customers and helpers. Only what the supply figures read is filled
  in: no "posted"/"offered" events, and offered helpers are drawn from the market, not by
  distance (the figures never look at who was offered).
* :func:`ensure_dataset` caches it in the benchmark database, keyed by size, seed and a digest of
  the generator, and computes the figures once with ``supply_refresh``.
* :func:`naive_month` computes the same month's per-cell figures by looping over the job, offer
  and event rows in Python: the baseline the selector is compared with.
"""

from __future__ import annotations

import hashlib
import inspect
import math
import random
import statistics
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.db.models import DateTimeField, JSONField

from benchmarks import matching
from benchmarks.constants import DEFAULT_SEED
from benchmarks.db import read_fingerprint, write_fingerprint
from marketplace.accounts.models import Role, User
from marketplace.helpers.models import HelperProfile, HelperStatus
from marketplace.jobs.models import JobEvent, JobOffer, JobRequest, JobStatus, OfferStatus
from marketplace.pricing.models import Market, PriceBookEntry, ServiceCategory
from marketplace.pricing.reference import ensure_reference_data
from marketplace.pricing.services import build_quote
from marketplace.supply.cells import grid_for
from marketplace.supply.models import SupplyDemandStat, SupplyRefreshRun
from marketplace.supply.selectors import supply_demand
from marketplace.supply.services import supply_refresh

DATA_VERSION = 1
META_TABLE = "bench_supply_dataset"
CUSTOMER_DOMAIN = "customers.bench.invalid"
START = datetime(2025, 3, 1, tzinfo=UTC)
DAYS = 365
END = START + timedelta(days=DAYS)
# The month the selector is timed on, and its market.
MONTH = date(2026, 1, 1)
MONTH_MARKET = "pl"
HELPERS_PER_MILLION_JOBS = 20_000
CUSTOMERS_PER_JOB = 0.05
BATCH = 20_000


@dataclass(frozen=True)
class Timing:
    runs: int
    p50_ms: float
    min_ms: float
    max_ms: float

    @classmethod
    def of(cls, samples_ns: list[int]) -> Timing:
        ms = [s / 1e6 for s in samples_ns]
        return cls(len(ms), statistics.median(ms), min(ms), max(ms))


# --- Generation ----------------------------------------------------------------------------------


def _helpers_for(jobs: int) -> int:
    return max(200, jobs * HELPERS_PER_MILLION_JOBS // 1_000_000)


def _created_at(rng: random.Random) -> datetime:
    """A moment in the year, busier on weekdays and in the daytime (local hour 8–20)."""
    day = rng.randrange(DAYS)
    when = START + timedelta(days=day)
    if when.weekday() >= 5 and rng.random() < 0.3:
        day = rng.randrange(DAYS)
        when = START + timedelta(days=day)
    hour = min(23, max(0, int(rng.gauss(13, 3.5))))
    return when + timedelta(hours=hour - 1, seconds=rng.randrange(3600))


def generate(
    jobs: int, *, seed: int = DEFAULT_SEED, progress: Callable[[int], None] | None = None
) -> int:
    """Bulk-create `jobs` jobs (plus customers, helpers, offers, events). Deterministic per seed."""
    ensure_reference_data()
    rng = random.Random(seed)
    matching.generate_helpers(_helpers_for(jobs), seed=seed, email_prefix="supplyhelper")
    helpers_by_market: dict[int, list[int]] = defaultdict(list)
    for user_id, market_id in HelperProfile.objects.filter(status=HelperStatus.VETTED).values_list(
        "user_id", "market_id"
    ):
        helpers_by_market[market_id].append(user_id)
    customers = max(50, round(jobs * CUSTOMERS_PER_JOB))
    first_user = (User.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    User.objects.bulk_create(
        [
            User(
                pk=first_user + i,
                email=f"c{i:07d}@{CUSTOMER_DOMAIN}",
                role=Role.CUSTOMER,
                password="!",
            )
            for i in range(customers)
        ],
        batch_size=5_000,
    )
    markets = {m.code: m for m in Market.objects.all()}
    categories = list(ServiceCategory.objects.order_by("bit"))
    quotes = {
        (e.market_id, e.category_id): build_quote(entry=e, market=e.market)
        for e in PriceBookEntry.objects.select_related("market")
    }
    city_weights = [(c.weight, c) for c in matching.CITIES]
    category_weights = [(w, c) for w, c in zip((5, 3, 2, 2, 3, 3), categories, strict=False)]
    job_id = offer_id = event_id = 0
    done = 0
    while done < jobs:
        size = min(BATCH, jobs - done)
        job_rows, offer_rows, event_rows = [], [], []
        for _ in range(size):
            job_id += 1
            city = matching._weighted(rng, city_weights)
            market = markets[city.market]
            category = matching._weighted(rng, category_weights)
            q = quotes[(market.pk, category.pk)]
            lat, lng = matching._point_near(rng, city, core=0.5, suburbs=0.35)
            created = _created_at(rng)
            job = JobRequest(
                pk=job_id,
                customer_id=first_user + rng.randrange(customers),
                market_id=market.pk,
                category_id=category.pk,
                description="Benchmark request",
                city=city.name,
                lat=round(lat, 6),
                lng=round(lng, 6),
                approx_lat=round(lat, 2),
                approx_lng=round(lng, 2),
                window_start=created,
                window_end=created + timedelta(hours=4),
                currency=q.currency,
                price=q.helper_price,
                platform_fee=q.platform_fee,
                helper_payout=q.helper_payout,
                professional_price=q.professional_price,
                professional_list_price=q.professional_list_price,
                professional_install_free=q.professional_install_free,
                created_at=created,
            )
            job_rows.append(job)
            roll = rng.random()
            if roll < 0.05:  # the customer chose a professional at once
                job.status, job.fulfilment, job.choice, job.closed_at = (
                    JobStatus.PROFESSIONAL,
                    "professional",
                    "professional",
                    created,
                )
                event_id += 1
                event_rows.append(
                    JobEvent(
                        pk=event_id,
                        job_id=job_id,
                        kind="professional_booked",
                        to_status=JobStatus.PROFESSIONAL,
                        data={"source": "posting"},
                        created_at=created,
                    )
                )
                continue
            pool = helpers_by_market[market.pk]
            asked = rng.sample(pool, min(len(pool), rng.choice((1, 2, 3, 3))))
            sent = created + timedelta(seconds=rng.randrange(5, 60))
            outcome = rng.random()
            statuses = [OfferStatus.PENDING] * len(asked)
            if outcome < 0.68 and asked:  # a helper accepted
                wait = min(int(rng.lognormvariate(math.log(1200), 1.0)), 4 * 3600 - 60)
                job.accepted_at = created + timedelta(seconds=max(30, wait))
                job.assigned_helper_id = asked[0]
                late = rng.random()
                job.status = (
                    JobStatus.CONFIRMED
                    if late < 0.85
                    else (JobStatus.COMPLETED if late < 0.95 else JobStatus.CANCELLED)
                )
                if job.status != JobStatus.COMPLETED:
                    job.closed_at = job.accepted_at + timedelta(hours=rng.randrange(2, 72))
                statuses = [OfferStatus.ACCEPTED] + [
                    OfferStatus.DECLINED if rng.random() < 0.3 else OfferStatus.WITHDRAWN
                    for _ in asked[1:]
                ]
            elif outcome < 0.83:  # nobody in time: expired, sometimes then a professional
                job.status, job.closed_at = JobStatus.EXPIRED, job.window_end
                statuses = [
                    OfferStatus.EXPIRED if rng.random() < 0.8 else OfferStatus.DECLINED
                    for _ in asked
                ]
                event_id += 1
                event_rows.append(
                    JobEvent(
                        pk=event_id,
                        job_id=job_id,
                        kind="expired",
                        from_status=JobStatus.OFFERED,
                        to_status=JobStatus.EXPIRED,
                        data={"fallback": "professional"},
                        created_at=job.window_end,
                    )
                )
                if rng.random() < 0.4:
                    job.status, job.fulfilment = JobStatus.PROFESSIONAL, "professional"
                    event_id += 1
                    event_rows.append(
                        JobEvent(
                            pk=event_id,
                            job_id=job_id,
                            kind="professional_booked",
                            from_status=JobStatus.EXPIRED,
                            to_status=JobStatus.PROFESSIONAL,
                            data={"source": "fallback"},
                            created_at=job.window_end + timedelta(minutes=5),
                        )
                    )
            elif outcome < 0.93:  # the customer cancelled while helpers were asked
                job.status, job.closed_at = JobStatus.CANCELLED, sent + timedelta(minutes=10)
                job.cancelled_by, job.cancel_reason = "customer", "No longer needed"
                statuses = [OfferStatus.WITHDRAWN for _ in asked]
            else:
                job.status = JobStatus.OFFERED if asked else JobStatus.OPEN
            for helper_id, status in zip(asked, statuses, strict=True):
                offer_id += 1
                offer_rows.append(
                    JobOffer(
                        pk=offer_id,
                        job_id=job_id,
                        helper_id=helper_id,
                        distance_km=round(rng.uniform(0.5, 20), 3),
                        status=status,
                        sent_at=sent,
                        expires_at=sent + timedelta(minutes=15),
                        responded_at=(
                            None if status == OfferStatus.PENDING else sent + timedelta(minutes=7)
                        ),
                    )
                )
        with transaction.atomic():
            _insert(JobRequest, job_rows)
            _insert(JobOffer, offer_rows)
            _insert(JobEvent, event_rows)
        done += size
        if progress:
            progress(done)
    return done


def _insert(model, objs: list) -> None:
    """INSERT unsaved instances with explicit primary keys by executemany: bulk_create spends
    most of its time preparing each value, which a million rows feel."""
    if not objs:
        return
    fields = [f for f in model._meta.concrete_fields if not f.generated]  # the database's own
    adapters = []
    for f in fields:
        if isinstance(f, DateTimeField):
            adapters.append(connection.ops.adapt_datetimefield_value)
        elif isinstance(f, JSONField):
            adapters.append(lambda value, f=f: f.get_db_prep_save(value, connection))
        else:
            adapters.append(None)
    pairs = list(zip([f.attname for f in fields], adapters, strict=True))
    rows = [
        tuple(adapt(getattr(o, name)) if adapt else getattr(o, name) for name, adapt in pairs)
        for o in objs
    ]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {model._meta.db_table} ({columns}) VALUES ({placeholders})", rows
        )


# --- Dataset cache -------------------------------------------------------------------------------


def _digest() -> str:
    parts = [inspect.getsource(fn) for fn in (generate, _created_at, _helpers_for)]
    parts.append(repr((DATA_VERSION, START, DAYS, HELPERS_PER_MILLION_JOBS, CUSTOMERS_PER_JOB)))
    parts.append(matching.dataset_fingerprint(0, 0))  # the helper generator too
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:12]


def fingerprint(jobs: int, seed: int) -> str:
    return f"supply-v{DATA_VERSION}-n{jobs}-seed{seed}-{_digest()}"


def _wipe() -> None:
    """Empty every table the dataset fills. Only ever run on the supply benchmark database."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {META_TABLE}")
        for model in (
            SupplyDemandStat,
            SupplyRefreshRun,
            JobEvent,
            JobOffer,
            JobRequest,
            HelperProfile,
        ):
            cursor.execute(f"DELETE FROM {model._meta.db_table}")  # cascades are not needed
        cursor.execute(
            f"DELETE FROM {User._meta.db_table} WHERE email LIKE %s OR email LIKE %s",
            [f"%@{CUSTOMER_DOMAIN}", f"%@{matching.EMAIL_DOMAIN}"],
        )


def ensure_dataset(
    jobs: int, *, seed: int = DEFAULT_SEED, rebuild: bool = False, log=print
) -> bool:
    """Generate the dataset unless the benchmark database already holds it; True when it had to
    be generated."""
    cached = read_fingerprint(META_TABLE)  # also creates the bookkeeping table on a fresh database
    wanted = fingerprint(jobs, seed)
    if not rebuild and cached == wanted:
        return False
    _wipe()
    started = time.perf_counter()
    step = max(jobs // 10, 1)

    def progress(done: int) -> None:
        if done % step < BATCH or done == jobs:
            log(f"  generated {done:,}/{jobs:,} jobs ({time.perf_counter() - started:.0f} s)")

    generate(jobs, seed=seed, progress=progress)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    write_fingerprint(META_TABLE, wanted)
    return True


def full_refresh() -> SupplyRefreshRun:
    """Recompute every day's figures (a rebuild): the one-off cost, timed on every run."""
    return supply_refresh(since=START.date() - timedelta(days=1), now=END)


# --- Timed work ----------------------------------------------------------------------------------


def month_window() -> tuple[date, date]:
    nxt = (MONTH.replace(day=28) + timedelta(days=4)).replace(day=1)
    return MONTH, nxt - timedelta(days=1)


def fast_month(market: Market):
    start, end = month_window()
    return supply_demand(market=market, period="month", start=start, end=end)


def naive_month(market: Market) -> dict:
    """The month's per-cell figures (all categories) from the raw rows, in Python."""
    tz = ZoneInfo(market.time_zone)
    grid = grid_for(market)
    start, end = month_window()
    lo = datetime.combine(start, datetime.min.time(), tzinfo=tz)
    hi = datetime.combine(end + timedelta(days=1), datetime.min.time(), tzinfo=tz)
    in_month = {"job__market": market, "job__created_at__gte": lo, "job__created_at__lt": hi}
    at_posting = {
        job_id
        for job_id, data in JobEvent.objects.filter(
            kind="professional_booked", **in_month
        ).values_list("job_id", "data")
        if data.get("source") == "posting"
    }
    expired = set(
        JobEvent.objects.filter(kind="expired", **in_month).values_list("job_id", flat=True)
    )
    cells: dict = defaultdict(
        lambda: {"requests": 0, "accepted": 0, "expired": 0, "offers": 0, "waits": []}
    )
    cell_of_job = {}
    for job_id, lat, lng, created, accepted in JobRequest.objects.filter(
        market=market, created_at__gte=lo, created_at__lt=hi
    ).values_list("id", "lat", "lng", "created_at", "accepted_at"):
        if job_id in at_posting:
            continue
        cell = grid.cell_of(lat, lng)
        cell_of_job[job_id] = cell
        figures = cells[cell]
        figures["requests"] += 1
        if accepted is not None:
            figures["accepted"] += 1
            figures["waits"].append((accepted - created).total_seconds())
        if job_id in expired:
            figures["expired"] += 1
    for (job_id,) in JobOffer.objects.filter(**in_month).values_list("job_id"):
        cell = cell_of_job.get(job_id)
        if cell is not None:
            cells[cell]["offers"] += 1
    for figures in cells.values():
        figures["median"] = statistics.median(figures["waits"]) if figures["waits"] else None
    return cells


def _timed(fn, *args) -> tuple[int, object]:
    started = time.perf_counter_ns()
    result = fn(*args)
    return time.perf_counter_ns() - started, result


def run(*, fast_runs: int, naive_runs: int) -> dict:
    market = Market.objects.get(code=MONTH_MARKET)
    fast_month(market)  # warm-up
    fast_samples, fast_result = [], None
    for _ in range(fast_runs):
        elapsed, fast_result = _timed(fast_month, market)
        fast_samples.append(elapsed)
    naive_samples, naive_result = [], None
    for _ in range(naive_runs):
        elapsed, naive_result = _timed(naive_month, market)
        naive_samples.append(elapsed)
    fast_cells = {
        r.cell: (r.requests, r.accepted, r.expired_jobs, r.offers_sent) for r in fast_result
    }
    naive_cells = {
        cell: (f["requests"], f["accepted"], f["expired"], f["offers"])
        for cell, f in naive_result.items()
    }
    fast_t, naive_t = Timing.of(fast_samples), Timing.of(naive_samples)
    return {
        "market": MONTH_MARKET,
        "month": MONTH.isoformat(),
        "cells": len(fast_cells),
        "jobs_in_month": sum(v[0] for v in naive_cells.values()),
        "identical": fast_cells == naive_cells,
        "fast": fast_t,
        "naive": naive_t,
        "ratio": naive_t.p50_ms / fast_t.p50_ms if fast_t.p50_ms else float("inf"),
    }


def time_incremental() -> SupplyRefreshRun:
    """A periodic run right after the full one: what the task costs when little changed."""
    last = SupplyRefreshRun.objects.order_by("-ran_at", "-pk").first()
    return supply_refresh(now=(last.ran_at if last else END) + timedelta(minutes=10))
