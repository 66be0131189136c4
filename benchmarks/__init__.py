"""Benchmarks for the DESIGN §8 targets. Run them with ``make bench`` (``python -m benchmarks``).

They run against their own database (a cached SQLite file under /tmp, or ``BENCH_DATABASE_URL``),
never the development database, and time every figure against a naive baseline measured in the
same run. ``benchmarks.matching`` holds the matching benchmark: dataset generation and the
fast-vs-naive comparison, which ``tests/project/test_benchmark_smoke.py`` also runs on a
tiny dataset.
"""
