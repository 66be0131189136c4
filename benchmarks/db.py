"""What every benchmark suite shares: its own database (never the development one) and a
fingerprint row saying which generated dataset it holds, so reruns skip generation."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlparse, urlunparse

CACHE_DIR = Path(os.environ.get("BENCH_CACHE_DIR", "/tmp/fieldfriends-bench"))


def _postgres_url(url: str, suffix: str) -> str:
    """`<db><suffix>` on the same server as `url`, created when missing."""
    import psycopg
    from psycopg import sql

    parsed = urlparse(url)
    name = (parsed.path.lstrip("/") or "postgres").removesuffix(suffix)
    bench_name = f"{name}{suffix}"
    with psycopg.connect(url, autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [bench_name]
        ).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(bench_name)))
    return urlunparse(parsed._replace(path=f"/{bench_name}"))


def choose_database(*, explicit_env: str, pg_suffix: str, sqlite_name: str, rebuild: bool) -> str:
    """Point DATABASE_URL at a benchmark database and return a description for the report:
    `explicit_env` if set; else, when DATABASE_URL is PostgreSQL, `<name><pg_suffix>` on the same
    server; else a SQLite file `sqlite_name` under CACHE_DIR (deleted first with `rebuild`)."""
    explicit = os.environ.get(explicit_env)
    configured = os.environ.get("DATABASE_URL", "")
    if explicit:
        url = explicit
    elif urlparse(configured).scheme in {"postgres", "postgresql"}:
        url = _postgres_url(configured, pg_suffix)
    else:
        CACHE_DIR.mkdir(parents=True, exist_ok=True)
        path = CACHE_DIR / sqlite_name
        if rebuild:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    os.environ["DATABASE_URL"] = url
    parsed = urlparse(url)
    return url if parsed.scheme == "sqlite" else urlunparse(parsed._replace(netloc=parsed.hostname))


def read_fingerprint(table: str) -> str | None:
    """The dataset the database holds (creates the bookkeeping table on a fresh database)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {table} (id integer PRIMARY KEY, fingerprint text)"
        )
        cursor.execute(f"SELECT fingerprint FROM {table} WHERE id = 1")
        row = cursor.fetchone()
    return row[0] if row else None


def write_fingerprint(table: str, value: str) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table}")
        cursor.execute(f"INSERT INTO {table} (id, fingerprint) VALUES (1, %s)", [value])
