"""`python -m benchmarks` (`make bench`): the DESIGN §8 matching benchmark.

    python -m benchmarks                    # 100k helpers, 2000 fast / 25 naive queries
    python -m benchmarks --helpers 1000000  # the 1M target
    python -m benchmarks --quick            # 10k helpers, a smoke run

The database is never the development one: a SQLite file per dataset under
/tmp/fieldfriends-bench/ (kept, so reruns skip generation), or ``BENCH_DATABASE_URL`` if set, or,
when ``DATABASE_URL`` points at PostgreSQL, a ``<name>_bench`` database on the same server
(created if missing). Results are printed and written to bench-results/latest.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.db import choose_database

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = ROOT / "bench-results" / "latest.json"

# (minimum dataset size, p50 budget in ms, minimum speed-up over the naive scan): DESIGN §8.
TARGETS = ((1_000_000, 2.5, 500.0), (100_000, 1.0, 100.0))


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--helpers", type=int, default=None, help="dataset size (default 100000)")
    parser.add_argument("--queries", type=int, default=None, help="timed fast-path queries")
    parser.add_argument("--naive-queries", type=int, default=None, help="timed naive scans")
    parser.add_argument("--quick", action="store_true", help="10k helpers, fewer queries")
    parser.add_argument("--seed", type=int, default=None, help="dataset seed")
    parser.add_argument("--rebuild", action="store_true", help="regenerate the cached dataset")
    parser.add_argument(
        "--strict", action="store_true", help="exit 1 when a timing target is missed"
    )
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="JSON results file")
    parser.add_argument(
        "--suite",
        choices=("matching", "supply", "economics", "load"),
        default="matching",
        help="which benchmark",
    )
    parser.add_argument("--jobs", type=int, default=None, help="supply suite: dataset size")
    args = parser.parse_args(argv)
    quick = args.quick
    args.helpers = args.helpers or (10_000 if quick else 100_000)
    args.queries = args.queries or (500 if quick else 2_000)
    args.naive_queries = args.naive_queries or (
        10 if quick else (20 if args.helpers >= 1_000_000 else 30)
    )
    if min(args.helpers, args.queries, args.naive_queries) < 1:
        parser.error("--helpers, --queries and --naive-queries must be positive")
    return args


def target_for(helpers: int) -> tuple[float, float] | None:
    for size, p50_ms, ratio in TARGETS:
        if helpers >= size:
            return p50_ms, ratio
    return None


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.suite == "supply":  # benchmarks/supply.py: its own database and report
        from benchmarks import supply

        return supply.main(args)
    if args.suite == "load":  # benchmarks/load.py: gunicorn + Locust, settings from LOAD_* env
        from benchmarks import load

        return load.main(
            argv=[*(["--strict"] if args.strict else []), *(["--rebuild"] if args.rebuild else [])]
        )
    if args.suite == "economics":  # benchmarks/economics.py: its own database and report
        from benchmarks import economics

        return economics.main(args)
    os.environ["DJANGO_SETTINGS_MODULE"] = "marketplace.settings"
    sys.path.insert(0, str(ROOT))

    import django

    from benchmarks.constants import DATA_VERSION, DEFAULT_SEED

    seed = DEFAULT_SEED if args.seed is None else args.seed
    database = choose_database(
        explicit_env="BENCH_DATABASE_URL",
        pg_suffix="_bench",
        sqlite_name=f"matching-{args.helpers}-v{DATA_VERSION}-s{seed}.sqlite3",
        rebuild=args.rebuild,
    )
    django.setup()

    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    # `make bench` exports DEBUG=1; the debug cursor wrapper logs (and, on SQLite, re-quotes)
    # every query, which is not what production pays. Measure without it.
    settings.DEBUG = False

    from benchmarks import matching

    print(f"database: {database}")
    call_command("migrate", verbosity=0, interactive=False)
    started = time.perf_counter()
    generated = matching.ensure_dataset(args.helpers, seed=seed, rebuild=args.rebuild)
    setup_note = f"generated in {time.perf_counter() - started:.0f} s" if generated else "cached"
    matchable = matching.HelperProfile.objects.filter(status="vetted", is_available=True).count()
    print(f"dataset: {args.helpers:,} helpers ({matchable:,} vetted and available), {setup_note}")

    queries = matching.make_queries(args.queries, seed=seed + 1)
    result = matching.run_matching(queries, fast_runs=args.queries, naive_runs=args.naive_queries)
    result.diagnostics = matching.diagnose(queries)

    target = target_for(args.helpers)
    identical_ok = result.identical == result.compared
    if target:
        p50_budget, min_ratio = target
        target_ok = result.fast.p50_ms <= p50_budget and result.ratio >= min_ratio
        verdict = "PASS" if target_ok and identical_ok else "FAIL"
        target_text = f"target p50<={p50_budget:g}ms, >={min_ratio:g}x: {verdict}"
    else:
        target_ok = True
        target_text = "target: none below 100k helpers"
    label = _size_label(args.helpers)
    diag = result.diagnostics
    print()
    print(f"{'':<10}{'runs':>7}{'p50 ms':>10}{'p95 ms':>10}{'mean ms':>10}{'min ms':>10}")
    for name, t in (("fast", result.fast), ("naive", result.naive)):
        print(
            f"{name:<10}{t.runs:>7}{t.p50_ms:>10.3f}{t.p95_ms:>10.3f}"
            f"{t.mean_ms:>10.3f}{t.min_ms:>10.3f}"
        )
    print(
        f"fast path: {diag['sql_queries_per_match']} SQL queries and "
        f"{diag['rows_fetched_per_match']} rows fetched per match "
        f"({diag['short_results']}/{diag['sampled']} sampled points found fewer than k)"
    )
    print(f"plan: {' / '.join(diag['plan'])}")
    print(f"identical top-k: {result.identical}/{result.compared}")
    for mismatch in result.mismatches[:3]:
        print(f"  MISMATCH at {mismatch.query}: fast {mismatch.fast} naive {mismatch.naive}")
    print()
    print(
        f"matching {label} helpers: p50 {result.fast.p50_ms:.2f} ms  "
        f"p95 {result.fast.p95_ms:.2f} ms | naive p50 {result.naive.p50_ms:.0f} ms | "
        f"ratio {result.ratio:.0f}x | {target_text}"
    )

    report = {
        "benchmark": "matching",
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "helpers": args.helpers,
        "matchable_helpers": matchable,
        "seed": seed,
        "data_version": DATA_VERSION,
        "k": 3,
        "max_radius_km": 25,
        "database": {"vendor": connection.vendor, "url": database},
        "environment": {
            "python": platform.python_version(),
            "django": django.get_version(),
            "sqlite": sqlite3.sqlite_version,
            "machine": platform.machine(),
            "cpus": os.cpu_count(),
            "debug_cursor": False,
        },
        "target": (
            {"p50_ms": target[0], "ratio": target[1], "pass": target_ok and identical_ok}
            if target
            else None
        ),
        **result.as_dict(),
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(f"results: {args.output}")
    if not identical_ok:
        return 1
    return 1 if args.strict and not target_ok else 0


def _size_label(n: int) -> str:
    if n >= 1_000_000 and n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n >= 1_000 and n % 1_000 == 0:
        return f"{n // 1_000}k"
    return f"{n:,}"


if __name__ == "__main__":
    sys.exit(main())
