"""Writes the economics rollup (models.py): whole days of one market recomputed from the rows,
by database aggregation (one grouped query per table and chunk of days), then replaced.

Incremental: the days (market time) that any change touched since the previous refresh
(`changed_days`), plus today, plus every day in ``since``/``until`` when given (after rows were
deleted: a pilot re-seeded). The first refresh, or one after PAYMENT_PROCESSING_BPS,
SUPPLY_CELL_KM or the rollup's own VERSION changed, rebuilds every day with data. Readers
never depend on it being recent (`rolled.py` reads touched days from the rows), so the periodic
task only keeps that remainder small.
"""

from __future__ import annotations

import time
from bisect import bisect_right
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Case, Count, IntegerField, Max, Q, Value, When
from django.db.models.functions import TruncDate
from django.utils import timezone

from marketplace.core.days import chunks, day_start, local_date, posted_on
from marketplace.economics import queries as q
from marketplace.economics.models import AreaMonth, DayFigures, QuoteDay, RollupRun, WaitMinute
from marketplace.jobs.models import (
    Fulfilment,
    JobEvent,
    JobRequest,
    JobStatus,
    Review,
    ReviewDirection,
)
from marketplace.payments.models import Payment
from marketplace.pricing.models import Market
from marketplace.supply.cells import grid_for
from marketplace.supply.services import days_with_data

# What the rows mean (buckets, columns); a refresh rebuilds rows written by another version.
VERSION = 1
# Changes committed a little after a refresh started reading are still noticed.
OVERLAP = timedelta(minutes=5)
CHUNK_DAYS = 31
MINUTE_US = 60_000_000
# The waiting-time histogram's buckets, by their first minute: fine where most acceptances
# fall, coarse later (each bucket's rows are read through an index when a rank or T falls in
# it). Every whole hour up to 4 h is an edge, so the usual T of the fill rate needs no rows.
WAIT_EDGES = (0, 1, 2, 3, 4, 5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 240, 360, 480, 720, 1440)
LAST_MINUTE = WAIT_EDGES[-1]  # waits of a day or more share this bucket
ID_CHUNK = 2000  # ids per IN (…) list


def latest_run() -> RollupRun | None:
    return RollupRun.objects.order_by("-ran_at", "-id").first()


def run_is_usable(run: RollupRun | None) -> bool:
    """The rollup was written by this code with today's settings (else it is rebuilt, and not
    read)."""
    return (
        run is not None
        and run.version == VERSION
        and run.processing_bps == settings.PAYMENT_PROCESSING_BPS
        and run.cell_km == settings.SUPPLY_CELL_KM
    )


def changed_job_ids(run: RollupRun) -> set[int]:
    """The jobs that changed after `run` read them: posted, an event (every state change writes
    one: acceptance, release, expiry, cancellation, confirmation …), a payment written or a
    review given since `run` started (less OVERLAP), or a row with a higher id than it saw
    (written later with an older timestamp: imports, seeds). Eight index range scans, each on
    one condition so that no planner is tempted by a wider index; only changed rows are read."""
    since = run.ran_at - OVERLAP
    sources = (
        (JobRequest.objects.filter(pk__gt=run.max_job_id), "pk"),
        (JobRequest.objects.filter(created_at__gte=since), "pk"),
        (JobEvent.objects.filter(pk__gt=run.max_event_id), "job_id"),
        (JobEvent.objects.filter(created_at__gte=since), "job_id"),
        (Payment.objects.filter(pk__gt=run.max_payment_id), "job_id"),
        (Payment.objects.filter(updated_at__gte=since), "job_id"),
        (Review.objects.filter(pk__gt=run.max_review_id), "job_id"),
        (Review.objects.filter(created_at__gte=since), "job_id"),
    )
    ids: set[int] = set()
    for qs, column in sources:
        ids.update(qs.values_list(column, flat=True).order_by())
    return ids


def changed_days(market: Market, ids: set[int]) -> set[date]:
    """The local days of posting of `market`'s jobs among `ids` (`changed_job_ids`)."""
    day = TruncDate("created_at", tzinfo=ZoneInfo(market.time_zone))
    days: set[date] = set()
    ordered = sorted(ids)
    for i in range(0, len(ordered), ID_CHUNK):
        days.update(
            JobRequest.objects.filter(pk__in=ordered[i : i + ID_CHUNK], market=market)
            .annotate(day=day)
            .values_list("day", flat=True)
            .order_by()
            .distinct()
        )
    return days


def rollup_refresh(
    *,
    since: datetime | date | None = None,
    until: datetime | date | None = None,
    now: datetime | None = None,
) -> RollupRun:
    """Recompute the rollup; see the module docstring. Idempotent."""
    now = now or timezone.now()
    started = time.perf_counter()
    last = latest_run()
    full = not run_is_usable(last)  # nothing trustworthy to start from: every day
    # The ids before reading anything: rows written while this runs are the next run's.
    marks = {
        "max_job_id": JobRequest.objects.aggregate(m=Max("pk"))["m"] or 0,
        "max_event_id": JobEvent.objects.aggregate(m=Max("pk"))["m"] or 0,
        "max_payment_id": Payment.objects.aggregate(m=Max("pk"))["m"] or 0,
        "max_review_id": Review.objects.aggregate(m=Max("pk"))["m"] or 0,
    }
    changed = set() if full else changed_job_ids(last)
    days_done = rows = 0
    for market in Market.objects.order_by("pk"):
        tz = ZoneInfo(market.time_zone)
        derived = DayFigures.objects.filter(market=market)
        if full:
            days = days_with_data(
                market=market, tz=tz, first=None, end=None, derived=derived, day_field="day"
            )
        else:
            # A range is rebuilt on top of what changed since the last run, which this run's
            # marks will cover from now on.
            days = changed_days(market, changed) | {timezone.localtime(now, tz).date()}
            if since is not None or until is not None:
                days |= days_with_data(
                    market=market,
                    tz=tz,
                    first=local_date(since, tz),
                    end=local_date(until, tz),
                    derived=derived,
                    day_field="day",
                )
        for chunk in chunks(sorted(days), CHUNK_DAYS):
            rows += _refresh_days(market, tz, chunk)
            days_done += len(chunk)
        rows += _refresh_months(market, tz, sorted(days))
    return RollupRun.objects.create(
        ran_at=now,
        version=VERSION,
        full=full,
        processing_bps=settings.PAYMENT_PROCESSING_BPS,
        cell_km=settings.SUPPLY_CELL_KM,
        days_recomputed=days_done,
        rows_written=rows,
        duration_ms=round((time.perf_counter() - started) * 1000),
        **marks,
    )


def _refresh_days(market: Market, tz: ZoneInfo, days: list[date]) -> int:
    """Replace the day rows of `days` (sorted) for one market: one grouped query per table."""
    jobs = JobRequest.objects.filter(posted_on(days, tz), market=market)
    key = {"day": q.bucket(days, tz, "created_at")}
    figures: dict[tuple, dict] = {}

    def row(day, category_id) -> dict:
        return figures.setdefault((day, category_id), {})

    helper = Q(choice=Fulfilment.HELPER)
    for r in (
        jobs.annotate(**key).values("day", "category_id").annotate(**q.day_counts()).order_by()
    ):
        day, category_id = q.as_date(r.pop("day")), r.pop("category_id")
        row(day, category_id).update({k: v or 0 for k, v in r.items()})

    payments = Payment.objects.filter(
        posted_on(days, tz, prefix="job__"), job__market=market, job__accepted_at__isnull=False
    )
    for r in (
        payments.annotate(day=q.bucket(days, tz, "job__created_at"))
        .values("day", "job__category_id")
        .annotate(**q.money())
        .order_by()
    ):
        row(q.as_date(r["day"]), r["job__category_id"]).update(
            gmv=r["gmv"] or 0,
            fees=r["fees"] or 0,
            fee_refunds=r["fee_refunds"] or 0,
            captured_payments=r["captured"] or 0,
            processing_variable=r["variable"] or 0,
        )

    reviews = Review.objects.filter(
        posted_on(days, tz, prefix="job__"),
        job__market=market,
        direction=ReviewDirection.OF_HELPER,
        job__status=JobStatus.CONFIRMED,
    )
    for r in (
        reviews.annotate(day=q.bucket(days, tz, "job__created_at"))
        .values("day", "job__category_id")
        .annotate(**q.review_sums())
        .order_by()
    ):
        row(q.as_date(r["day"]), r["job__category_id"]).update(
            ratings=r["ratings"],
            rating_sum=r["rating_sum"] or 0,
            nps_answers=r["answers"],
            promoters=r["promoters"],
            detractors=r["detractors"],
        )

    waits = [
        WaitMinute(
            market=market,
            day=q.as_date(r["day"]),
            category_id=r["category_id"],
            minute=r["minute"],
            accepted=r["accepted"],
            accepted_helper=r["accepted_helper"],
        )
        for r in jobs.filter(accept_wait_us__isnull=False)
        .annotate(**key, minute=wait_minute())
        .values("day", "category_id", "minute")
        .annotate(accepted=Count("id"), accepted_helper=Count("id", filter=helper))
        .order_by()
    ]
    quotes = [
        QuoteDay(market=market, day=q.as_date(r.pop("day")), category_id=r.pop("category_id"), **r)
        for r in jobs.filter(professional_list_price__gt=0)
        .annotate(**key)
        .values(
            "day",
            "category_id",
            "price",
            "professional_list_price",
            "professional_install_free",
        )
        .annotate(quotes=Count("id"), chose_helper=Count("id", filter=helper))
        .order_by()
    ]
    day_rows = [
        DayFigures(market=market, day=day, category_id=category_id, **values)
        for (day, category_id), values in figures.items()
        if values.get("posted")  # money and reviews come with their jobs
    ]
    with transaction.atomic():
        for model in (DayFigures, WaitMinute, QuoteDay):
            model.objects.filter(market=market, day__in=days).delete()
        DayFigures.objects.bulk_create(day_rows, batch_size=500)
        WaitMinute.objects.bulk_create(waits, batch_size=500)
        QuoteDay.objects.bulk_create(quotes, batch_size=500)
    return len(day_rows) + len(waits) + len(quotes)


def wait_minute():
    """The histogram bucket (its first minute, one of WAIT_EDGES) of the job's waiting time;
    negative waits, which a clock step could give, fall in the first."""
    whens = [
        When(accept_wait_us__gte=edge * MINUTE_US, then=Value(edge))
        for edge in reversed(WAIT_EDGES[1:])
    ]
    return Case(*whens, default=Value(0), output_field=IntegerField())


def bucket_of(us: int) -> int:
    """The bucket of a waiting time in microseconds (as `wait_minute` computes it)."""
    return WAIT_EDGES[max(0, bisect_right(WAIT_EDGES, us // MINUTE_US) - 1)] if us > 0 else 0


def bucket_end(edge: int) -> int | None:
    """The first minute after the bucket starting at `edge` (None: the last is open)."""
    i = WAIT_EDGES.index(edge)
    return WAIT_EDGES[i + 1] if i + 1 < len(WAIT_EDGES) else None


def _refresh_months(market: Market, tz: ZoneInfo, days: list[date]) -> int:
    """Replace the area rows of every month that holds one of `days`."""
    months = sorted({q.month_start(d) for d in days})
    if not months:
        return 0
    grid = grid_for(market)
    written = 0
    for month in months:
        following = q.next_start(month, "month")
        jobs = JobRequest.objects.filter(
            market=market,
            created_at__gte=day_start(month, tz),
            created_at__lt=day_start(following, tz),
        )
        rows = [
            AreaMonth(
                market=market,
                month=month,
                cell_km=grid.km,
                cell_y=int(r.pop("cy")),
                cell_x=int(r.pop("cx")),
                category_id=r.pop("category_id"),
                **r,
            )
            for r in jobs.annotate(**q.cell_keys(grid))
            .values("cy", "cx", "category_id")
            .annotate(**q.area_counts())
            .order_by()
        ]
        with transaction.atomic():
            AreaMonth.objects.filter(market=market, month=month).delete()
            AreaMonth.objects.bulk_create(rows, batch_size=500)
        written += len(rows)
    return written
