"""`python -m benchmarks --suite economics`: the operator economics dashboard (DESIGN §7, §8:
≤ 1 s per query over 1M jobs).

    python -m benchmarks --suite economics            # 1M jobs (the supply benchmark's data)
    python -m benchmarks --suite economics --quick    # 50k jobs, a smoke run

Times each dashboard query of ``marketplace.economics.metrics`` — ``metrics``, ``weekly``,
``monthly``, ``by_area``, ``choice_points`` — on three scopes of one market: the supply
benchmark's month, the 12 weeks up to its end (the dashboard's default period) and the whole
year of data (the pilot's whole history; half the runs). A naive baseline computes the same
``metrics`` figures by looping over the rows in Python, in the same run, and the key figures
of both must be identical (the exit status says so). Each scope gets a PASS/FAIL against the
1 s target; ``--strict`` exits 1 when any query of any scope misses it.

The queries read the economics rollup (`marketplace.economics.rollup`) as production's periodic
task keeps it: built in full once when the database has none (the time is reported), then one
incremental refresh per run (reported: the periodic cost). The naive baseline never reads it.

Data: the supply benchmark's generated year of jobs (``supply_data.generate``) plus what the
economics read and the supply data leave out, added in the database by INSERT … SELECT (a few
seconds): a payment for every accepted job (captured on confirmation; half the late
cancellations pay the 20.00 fee; every 40th confirmed job half refunded), its double-entry
ledger legs, the customers' reviews of 60 % of the confirmed jobs (rating and NPS), and
``completed_at`` on completed and confirmed jobs. Choices are deterministic functions of the
job id, so reruns and both databases get the same rows. The supply figures are computed once
(a full ``supply_refresh``), as production's periodic task keeps them: ``by_area`` reads its
helper counts from them.

The database is its own (the supply dataset, generated again; the extra rows would stop the
supply benchmark from regenerating its own): a SQLite file under /tmp/fieldfriends-bench/, or
``BENCH_ECONOMICS_DATABASE_URL``, or, when ``DATABASE_URL`` is PostgreSQL, a
``<name>_economics_bench`` database on the same server. Results go to
bench-results/economics-latest.json.
"""

from __future__ import annotations

import json
import os
import platform
import sqlite3
import time
from collections import Counter, defaultdict
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.db import choose_database

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = ROOT / "bench-results" / "economics-latest.json"
META_TABLE = "bench_economics_dataset"
EXTRAS_VERSION = 1
TARGET_MS = 1_000.0
QUERIES = ("metrics", "weekly", "monthly", "by_area", "choice_points")


def main(args) -> int:
    """Run from benchmarks/__main__.py with its parsed arguments (jobs, quick, seed, rebuild,
    output)."""
    from benchmarks.constants import DEFAULT_SEED

    jobs = args.jobs or (50_000 if args.quick else 1_000_000)
    runs, naive_runs = (5, 2) if args.quick else (11, 3)
    seed = DEFAULT_SEED if args.seed is None else args.seed
    os.environ["DJANGO_SETTINGS_MODULE"] = "marketplace.settings"
    database = choose_database(
        explicit_env="BENCH_ECONOMICS_DATABASE_URL",
        pg_suffix="_economics_bench",
        sqlite_name=f"economics-{jobs}-s{seed}.sqlite3",
        rebuild=args.rebuild,
    )

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    settings.DEBUG = False  # no debug cursor: measure what production pays

    print(f"database: {database}")
    call_command("migrate", verbosity=0, interactive=False)
    started = time.perf_counter()
    generated = ensure_dataset(jobs, seed=seed, rebuild=args.rebuild)
    note = f"generated in {time.perf_counter() - started:.0f} s" if generated else "cached"
    print(f"dataset: {jobs:,} jobs with payments, ledger and reviews, {note}")
    rollup = ensure_rollup()
    analyse_new_indexes()

    results = []
    for label, scope, share in scopes():
        n = max(3, round(runs * share))
        timings = {name: time_query(name, scope, n) for name in QUERIES}
        naive_timing, identical, mismatches = time_naive(scope, max(1, round(naive_runs * share)))
        results.append(
            {
                "scope": label,
                "posted": timings["metrics"]["result"].posted,
                "timings": {name: t["timing"] for name, t in timings.items()},
                "naive_metrics": naive_timing,
                "identical": identical,
                "mismatches": mismatches,
            }
        )

    print()
    print(f"{'scope':<22}{'query':<15}{'runs':>6}{'p50 ms':>10}{'min ms':>10}{'max ms':>10}")
    ok = True
    for r in results:
        for name in QUERIES:
            t = r["timings"][name]
            ok &= t.p50_ms <= TARGET_MS
            print(
                f"{r['scope']:<22}{name:<15}{t.runs:>6}{t.p50_ms:>10.1f}{t.min_ms:>10.1f}"
                f"{t.max_ms:>10.1f}"
            )
        n = r["naive_metrics"]
        print(
            f"{r['scope']:<22}{'naive metrics':<15}{n.runs:>6}{n.p50_ms:>10.1f}"
            f"{n.min_ms:>10.1f}{n.max_ms:>10.1f}"
        )
    print()
    for r in results:
        fast = r["timings"]["metrics"].p50_ms
        slowest = max(t.p50_ms for t in r["timings"].values())
        verdict = "PASS" if slowest <= TARGET_MS else "FAIL"
        same = "yes" if r["identical"] else "NO " + "; ".join(r["mismatches"])
        print(
            f"economics {r['scope']} ({r['posted']:,} requests) over {jobs:,} jobs: metrics p50 "
            f"{fast:.0f} ms | naive p50 {r['naive_metrics'].p50_ms:.0f} ms | ratio "
            f"{r['naive_metrics'].p50_ms / fast:.1f}x | slowest query p50 {slowest:.0f} ms | "
            f"target each <= {TARGET_MS:.0f} ms: {verdict} | identical figures: {same}"
        )

    report = {
        "benchmark": "economics",
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "jobs": jobs,
        "seed": seed,
        "database": {"vendor": connection.vendor, "url": database},
        "environment": {
            "python": platform.python_version(),
            "django": django.get_version(),
            "sqlite": sqlite3.sqlite_version,
            "machine": platform.machine(),
            "cpus": os.cpu_count(),
            "debug_cursor": False,
        },
        "target_ms": TARGET_MS,
        "rollup": rollup,
        "scopes": [
            {
                "scope": r["scope"],
                "requests": r["posted"],
                "queries": {name: asdict(t) for name, t in r["timings"].items()},
                "naive_metrics": asdict(r["naive_metrics"]),
                "identical": r["identical"],
                "mismatches": r["mismatches"],
            }
            for r in results
        ],
    }
    output = args.output if args.output != _matching_default() else DEFAULT_OUTPUT
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=2) + "\n")
    print(f"results: {output}")
    identical = all(r["identical"] for r in results)
    if not identical:
        return 1
    return 1 if args.strict and not ok else 0


def _matching_default() -> Path:
    from benchmarks.__main__ import DEFAULT_OUTPUT as MATCHING_OUTPUT

    return MATCHING_OUTPUT


# --- Data --------------------------------------------------------------------------------------


def ensure_dataset(jobs: int, *, seed: int, rebuild: bool = False) -> bool:
    """The supply benchmark's jobs plus the economics rows; True when anything was generated."""
    from django.db import connection, transaction

    from benchmarks import supply_data
    from benchmarks.db import read_fingerprint, write_fingerprint
    from marketplace.supply.models import SupplyDemandStat

    wanted = f"economics-v{EXTRAS_VERSION}-{supply_data.fingerprint(jobs, seed)}"
    generated = False
    if rebuild or read_fingerprint(META_TABLE) != wanted:
        _wipe_extras()  # before the supply data: the rows refer to its jobs
        supply_data.ensure_dataset(jobs, seed=seed, rebuild=rebuild)
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            for statement in _EXTRAS:
                cursor.execute(statement)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
        write_fingerprint(META_TABLE, wanted)
        print(f"  payments, ledger and reviews added in {time.perf_counter() - started:.0f} s")
        generated = True
    if not SupplyDemandStat.objects.exists():  # the supply map's figures, which by_area reads
        started = time.perf_counter()
        supply_data.full_refresh()
        print(f"  supply figures computed in {time.perf_counter() - started:.0f} s")
        generated = True
    return generated


def ensure_rollup() -> dict:
    """The economics rollup as production's periodic task keeps it: built in full when the
    database has no usable one (timed), then one incremental refresh (timed: the periodic
    cost when nothing changed but today)."""
    from marketplace.economics.rollup import latest_run, rollup_refresh, run_is_usable

    report = {}
    if not run_is_usable(latest_run()):
        run = rollup_refresh()
        report["full_build_ms"] = run.duration_ms
        report["rows"] = run.rows_written
        print(
            f"  economics rollup built: {run.rows_written:,} rows in {run.duration_ms / 1000:.1f} s"
        )
    run = rollup_refresh()
    report["incremental_ms"] = run.duration_ms
    print(f"  economics rollup incremental refresh: {run.duration_ms} ms")
    return report


def analyse_new_indexes() -> None:
    """Planner statistics for indexes that migrations added after the dataset was analysed, as
    a maintained production database has them. SQLite: ANALYZE the tables with an index it has
    no statistics for (without them its planner prefers a unique index to a covering one; a
    migration that rebuilds a table drops them). PostgreSQL: VACUUM ANALYZE, as autovacuum
    would by itself (index-only scans need the visibility map of rows written since)."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("VACUUM ANALYZE")
            return
        cursor.execute(
            "SELECT DISTINCT m.tbl_name FROM sqlite_master m WHERE m.type = 'index' "
            "AND m.name NOT LIKE 'sqlite_autoindex%' "
            "AND m.name NOT IN (SELECT idx FROM sqlite_stat1 WHERE idx IS NOT NULL)"
        )
        tables = [row[0] for row in cursor.fetchall()]
        for table in tables:
            cursor.execute(f'ANALYZE "{table}"')
    if tables:
        print(f"  analysed {', '.join(sorted(tables))} (new indexes)")


def _wipe_extras() -> None:
    from django.db import connection, transaction

    from benchmarks.db import read_fingerprint
    from marketplace.jobs.models import Review
    from marketplace.payments.models import InvoiceLine, LedgerEntry, Payment, ProviderCall

    read_fingerprint(META_TABLE)  # creates the table on a fresh database
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {META_TABLE}")
        for model in (LedgerEntry, InvoiceLine, ProviderCall, Payment, Review):
            cursor.execute(f"DELETE FROM {model._meta.db_table}")


def _legs(kind: str, source: str, target: str, amount: str, where: str) -> list[str]:
    """The two legs of one movement per payment matching `where` (SQL over payments_payment p
    joined to its job j)."""
    statements = []
    for account, sign in ((source, "-"), (target, "")):
        statements.append(
            "INSERT INTO payments_ledgerentry "
            "(job_id, payment_id, movement, kind, account, amount, currency, created_at) "
            f"SELECT p.job_id, p.id, CAST(p.id AS TEXT) || ':{kind}-1', '{kind}', '{account}', "
            f"{sign}({amount}), p.currency, j.accepted_at "
            "FROM payments_payment p JOIN jobs_jobrequest j ON j.id = p.job_id "
            f"WHERE {where}"
        )
    return statements


# Deterministic choices by job id: a late cancellation pays the fee when the id is even; every
# 40th confirmed job is half refunded; 6 in 10 confirmed jobs get the customer's review.
_FEE = "(2000 * j.platform_fee * 2 + j.price) / (2 * j.price)"  # the fee's share, half up
_REFUND = "j.price / 2"
_EXTRAS = [
    "UPDATE jobs_jobrequest SET completed_at = accepted_at "
    "WHERE status IN ('completed', 'confirmed')",
    "UPDATE jobs_jobrequest SET cancellation_fee = 2000 "
    "WHERE status = 'cancelled' AND accepted_at IS NOT NULL AND id % 2 = 0",
    "INSERT INTO payments_payment (job_id, provider, status, currency, amount, platform_fee, "
    "amount_captured, fee_captured, amount_refunded, fee_refunded, refund_reserved, provider_ref, "
    "provider_customer, payment_method, client_secret, attempt, failure_message, authorised_at, "
    "captured_at, created_at, updated_at) "
    "SELECT j.id, 'bill_to_account', "
    "CASE WHEN j.status = 'confirmed' OR j.cancellation_fee > 0 THEN 'captured' "
    "WHEN j.status = 'cancelled' THEN 'cancelled' ELSE 'authorised' END, "
    "j.currency, j.price, j.platform_fee, "
    "CASE WHEN j.status = 'confirmed' THEN j.price ELSE j.cancellation_fee END, "
    f"CASE WHEN j.status = 'confirmed' THEN j.platform_fee WHEN j.cancellation_fee > 0 "
    f"THEN {_FEE} ELSE 0 END, "
    f"CASE WHEN j.status = 'confirmed' AND j.id % 40 = 0 THEN {_REFUND} ELSE 0 END, "
    "CASE WHEN j.status = 'confirmed' AND j.id % 40 = 0 "
    "THEN (j.price / 2 * j.platform_fee * 2 + j.price) / (2 * j.price) ELSE 0 END, 0, "
    "'INV-' || CAST(j.id AS TEXT), '', '', '', 1, '', j.accepted_at, j.closed_at, "
    "j.accepted_at, j.accepted_at "
    "FROM jobs_jobrequest j WHERE j.accepted_at IS NOT NULL",
    *_legs("authorised", "customer", "hold", "p.amount", "1 = 1"),
    *_legs("captured_fee", "hold", "platform", "p.fee_captured", "p.fee_captured > 0"),
    *_legs(
        "captured_payout",
        "hold",
        "helper",
        "p.amount_captured - p.fee_captured",
        "p.amount_captured > p.fee_captured",
    ),
    *_legs(
        "released",
        "hold",
        "customer",
        "p.amount - p.amount_captured",
        "p.status IN ('captured', 'cancelled') AND p.amount > p.amount_captured",
    ),
    *_legs("refund_fee", "platform", "customer", "p.fee_refunded", "p.fee_refunded > 0"),
    *_legs(
        "refund_payout",
        "helper",
        "customer",
        "p.amount_refunded - p.fee_refunded",
        "p.amount_refunded > p.fee_refunded",
    ),
    "INSERT INTO jobs_review (job_id, author_id, subject_id, direction, rating, nps, comment, "
    "created_at) "
    "SELECT id, customer_id, assigned_helper_id, 'of_helper', 1 + (id * 7) % 5, "
    "CASE WHEN id % 3 = 0 THEN NULL ELSE (id * 13) % 11 END, '', closed_at "
    "FROM jobs_jobrequest WHERE status = 'confirmed' AND (id * 31) % 10 < 6",
]


# --- Timed work ----------------------------------------------------------------------------------


def scopes():
    """(label, scope, share of the runs) in the supply benchmark's market: its month; the 12
    weeks up to the month's end (the dashboard's default period); the whole year (the pilot's
    whole history, fewer runs)."""
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    from benchmarks import supply_data
    from marketplace.economics.metrics import Scope
    from marketplace.pricing.models import Market

    market = Market.objects.get(code=supply_data.MONTH_MARKET)
    tz = ZoneInfo(market.time_zone)
    first, last = supply_data.month_window()

    def local(day):
        return datetime.combine(day, datetime.min.time(), tzinfo=tz)

    end = local(last + timedelta(days=1))
    return [
        (f"{market.code} {first:%Y-%m}", Scope(market=market, start=local(first), end=end), 1.0),
        (
            f"{market.code} 12 weeks",
            Scope(market=market, start=end - timedelta(weeks=12), end=end),
            1.0,
        ),
        (
            f"{market.code} whole year",
            Scope(market=market, start=supply_data.START, end=supply_data.END),
            0.5,
        ),
    ]


def time_query(name: str, scope, runs: int) -> dict:
    from benchmarks.supply_data import Timing
    from marketplace.economics import metrics

    fn = getattr(metrics, name)
    result = fn(scope)  # warm-up
    samples = []
    for _ in range(runs):
        started = time.perf_counter_ns()
        result = fn(scope)
        samples.append(time.perf_counter_ns() - started)
    return {"timing": Timing.of(samples), "result": result}


def time_naive(scope, runs: int):
    from benchmarks.supply_data import Timing
    from marketplace.economics.metrics import metrics

    fast = metrics(scope)
    samples, naive = [], None
    for _ in range(runs):
        started = time.perf_counter_ns()
        naive = naive_metrics(scope)
        samples.append(time.perf_counter_ns() - started)
    mismatches = []
    for key, value in naive.items():
        theirs = getattr(fast, key)
        same = (
            abs(theirs - value) < 1e-9
            if isinstance(value, float) and theirs is not None
            else theirs == value
        )
        if not same:
            mismatches.append(f"{key}: fast {theirs} naive {value}")
    return Timing.of(samples), not mismatches, mismatches


def naive_metrics(scope) -> dict:
    """The key figures of `metrics(scope)` from the raw rows, looping in Python."""
    from datetime import timedelta

    from django.conf import settings

    from marketplace.jobs.models import JobEvent, JobOffer, JobRequest, Review
    from marketplace.payments.models import LedgerEntry, Payment

    in_scope = {
        "market": scope.market,
        "created_at__gte": scope.start,
        "created_at__lt": scope.end,
    }
    related = {f"job__{k}": v for k, v in in_scope.items()}
    within = scope.fill_within // timedelta(microseconds=1)
    middle = scope.start + (scope.end - scope.start) / 2
    c = Counter()
    waits, per_customer = [], Counter()
    first_half, second_half = set(), set()
    for (
        status,
        choice,
        created,
        accepted,
        completed,
        by,
        customer,
        helper,
    ) in JobRequest.objects.filter(**in_scope).values_list(
        "status",
        "choice",
        "created_at",
        "accepted_at",
        "completed_at",
        "cancelled_by",
        "customer_id",
        "assigned_helper_id",
    ):
        c["posted"] += 1
        per_customer[customer] += 1
        if choice == "helper":
            c["helper_requests"] += 1
        if accepted is not None:
            c["accepted"] += 1
            wait = (accepted - created) // timedelta(microseconds=1)
            waits.append(wait)
            if wait <= within and choice == "helper":
                c["accepted_within"] += 1
        if completed is not None:
            c["completed"] += 1
        if status == "confirmed":
            c["confirmed"] += 1
            (first_half if created < middle else second_half).add(helper)
        if status == "cancelled":
            c["cancelled"] += 1
            c[f"cancelled_by_{by}"] += 1
    offered = {j for (j,) in JobOffer.objects.filter(**related).values_list("job_id")}
    expired = {
        j
        for j, kind in JobEvent.objects.filter(**related).values_list("job_id", "kind")
        if kind == "expired"
    }
    money = defaultdict(int)
    for account, kind, amount in LedgerEntry.objects.filter(**related).values_list(
        "account", "kind", "amount"
    ):
        if account in ("platform", "helper"):
            money["gmv"] += amount
        if account == "platform":
            money["net"] += amount
            if kind == "captured_fee":
                money["fees"] += amount
            if kind == "refund_fee":
                money["fee_refunds"] -= amount
    bps, fixed = settings.PAYMENT_PROCESSING_BPS, settings.PAYMENT_PROCESSING_FIXED
    processing = sum(
        (captured * bps * 2 + 10_000) // 20_000 + fixed
        for (captured,) in Payment.objects.filter(**related).values_list("amount_captured")
        if captured > 0
    )
    answers = promoters = detractors = ratings = rating_sum = 0
    for direction, rating, nps in Review.objects.filter(**related).values_list(
        "direction", "rating", "nps"
    ):
        if direction != "of_helper":
            continue
        ratings += 1
        rating_sum += rating
        if nps is not None:
            answers += 1
            promoters += nps >= 9
            detractors += nps <= 6
    waits.sort()
    n = len(waits)
    median = p90 = None
    if n:
        seconds = [max(0, (w + 500_000) // 1_000_000) for w in waits]
        middle_values = (
            (seconds[(n + 1) // 2 - 1],) if n % 2 else (seconds[n // 2 - 1], seconds[n // 2])
        )
        median = (2 * sum(middle_values) + len(middle_values)) // (2 * len(middle_values))
        p90 = seconds[-(-n * 9 // 10) - 1]
    return {
        "posted": c["posted"],
        "helper_requests": c["helper_requests"],
        "offered": len(offered),
        "accepted": c["accepted"],
        "accepted_within": c["accepted_within"],
        "completed": c["completed"],
        "confirmed": c["confirmed"],
        "cancelled": c["cancelled"],
        "cancelled_by_customer": c["cancelled_by_customer"],
        "cancelled_by_operator": c["cancelled_by_operator"],
        "expired": len(expired),
        "median_accept_seconds": median,
        "p90_accept_seconds": p90,
        "gmv": money["gmv"],
        "fees": money["fees"],
        "fee_refunds": money["fee_refunds"],
        "net_revenue": money["net"],
        "processing_costs": processing,
        "customers": len(per_customer),
        "repeat_customers": sum(1 for v in per_customer.values() if v >= 2),
        "helper_retention": (
            len(first_half & second_half) / len(first_half) if first_half else None
        ),
        "nps_answers": answers,
        "nps": 100.0 * (promoters - detractors) / answers if answers else None,
        "csat": rating_sum / ratings if ratings else None,
    }
