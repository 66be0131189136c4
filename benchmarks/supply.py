"""`python -m benchmarks --suite supply`: the supply/demand selector over a year of jobs.

    python -m benchmarks --suite supply                # 1M jobs (about 20k helpers)
    python -m benchmarks --suite supply --quick        # 50k jobs, a smoke run
    python -m benchmarks --suite supply --jobs 200000

Times ``supply_demand`` (one market × one month, per cell, from the precomputed daily rows)
against a naive Python loop over that month's job, offer and event rows, in the same run, and
checks that both give the same per-cell counts. Also reports what computing the figures costs:
the one-off full ``supply_refresh`` and a periodic incremental one.

The database is its own, never the development one nor the matching benchmark's: a SQLite file
per dataset under /tmp/fieldfriends-bench/ (kept, so reruns skip generation), or
``BENCH_SUPPLY_DATABASE_URL``, or, when ``DATABASE_URL`` is PostgreSQL, a ``<name>_supply_bench``
database on the same server. Results go to bench-results/supply-latest.json.
"""

from __future__ import annotations

import json
import os
import platform
import sqlite3
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.db import choose_database

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = ROOT / "bench-results" / "supply-latest.json"


def main(args) -> int:
    """Run from benchmarks/__main__.py with its parsed arguments (jobs, quick, seed, rebuild,
    output)."""
    from benchmarks.constants import DEFAULT_SEED

    jobs = args.jobs or (50_000 if args.quick else 1_000_000)
    fast_runs, naive_runs = (20, 3) if args.quick else (50, 5)
    seed = DEFAULT_SEED if args.seed is None else args.seed
    os.environ["DJANGO_SETTINGS_MODULE"] = "marketplace.settings"
    database = choose_database(
        explicit_env="BENCH_SUPPLY_DATABASE_URL",
        pg_suffix="_supply_bench",
        sqlite_name=f"supply-{jobs}-s{seed}.sqlite3",
        rebuild=args.rebuild,
    )

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    settings.DEBUG = False  # no debug cursor: measure what production pays

    from benchmarks import supply_data

    print(f"database: {database}")
    call_command("migrate", verbosity=0, interactive=False)
    started = time.perf_counter()
    generated = supply_data.ensure_dataset(jobs, seed=seed, rebuild=args.rebuild)
    note = f"generated in {time.perf_counter() - started:.0f} s" if generated else "cached"
    print(f"dataset: {jobs:,} jobs, {note}; computing the figures (full refresh) ...")
    full = supply_data.full_refresh()
    incremental = supply_data.time_incremental()
    result = supply_data.run(fast_runs=fast_runs, naive_runs=naive_runs)
    fast, naive = result["fast"], result["naive"]

    print()
    print(f"{'':<10}{'runs':>7}{'p50 ms':>10}{'min ms':>10}{'max ms':>10}")
    for name, t in (("selector", fast), ("naive", naive)):
        print(f"{name:<10}{t.runs:>7}{t.p50_ms:>10.2f}{t.min_ms:>10.2f}{t.max_ms:>10.2f}")
    print(
        f"supply/demand {result['market']} {result['month']} ({result['cells']} cells, "
        f"{result['jobs_in_month']:,} requests) over {jobs:,} jobs: selector p50 "
        f"{fast.p50_ms:.1f} ms | naive p50 {naive.p50_ms:.0f} ms | ratio {result['ratio']:.0f}x"
        f" | identical per-cell counts: {'yes' if result['identical'] else 'NO'}"
    )
    from benchmarks import quoting

    quoted = quoting.run(fast_runs=fast_runs, naive_runs=naive_runs)
    print(
        f"quote(): p50 {quoted['quote'].p50_ms:.3f} ms | quote/choice summary "
        f"{quoted['market']} {quoted['month']} ({quoted['requests']:,} requests): selector p50 "
        f"{quoted['fast'].p50_ms:.1f} ms | naive p50 {quoted['naive'].p50_ms:.0f} ms | ratio "
        f"{quoted['ratio']:.0f}x | identical: {'yes' if quoted['identical'] else 'NO'}"
    )
    print(
        f"computing the figures: full refresh {full.duration_ms / 1000:.1f} s "
        f"({full.days_recomputed} market-days, {full.rows_written:,} rows); "
        f"periodic incremental refresh {incremental.duration_ms} ms "
        f"({incremental.days_recomputed} market-days)"
    )

    report = {
        "benchmark": "supply",
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
        "selector": asdict(fast),
        "naive": asdict(naive),
        "ratio": round(result["ratio"], 1),
        "identical": result["identical"],
        "month": {"market": result["market"], "start": result["month"], "cells": result["cells"]},
        "full_refresh": {
            "ms": full.duration_ms,
            "market_days": full.days_recomputed,
            "rows": full.rows_written,
        },
        "quoting": {
            "quote": asdict(quoted["quote"]),
            "selector": asdict(quoted["fast"]),
            "naive": asdict(quoted["naive"]),
            "ratio": round(quoted["ratio"], 1),
            "identical": quoted["identical"],
        },
        "incremental_refresh": {
            "ms": incremental.duration_ms,
            "market_days": incremental.days_recomputed,
        },
    }
    output = args.output if args.output != _matching_default(args) else DEFAULT_OUTPUT
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=2) + "\n")
    print(f"results: {output}")
    return 0 if result["identical"] and quoted["identical"] else 1


def _matching_default(args) -> Path:
    from benchmarks.__main__ import DEFAULT_OUTPUT as MATCHING_OUTPUT

    return MATCHING_OUTPUT
