"""`make load` / `python -m benchmarks --suite load`: the HTTP targets of DESIGN §8 under Locust.

    make load                         # 60 s in all (LOAD_SECONDS), SQLite under /tmp
    LOAD_SECONDS=30 make load
    DATABASE_URL=postgres://… make load   # a `<name>_load` database on that server, rebuilt

What it does, in one process that starts and stops everything it needs:

1. its own database (never the development one): a SQLite file under /tmp/fieldfriends-bench/
   (the seeded population is cached there and copied for each run), or, when DATABASE_URL is
   PostgreSQL, `<name>_load` on the same server, dropped and rebuilt every run (LOAD_DATABASE_URL
   overrides both). Migrated and seeded: the demo data (three market cities) plus generated
   vetted helpers around the cities (LOAD_HELPERS in all, default 300) and customers
   (LOAD_CUSTOMERS, default 200), each with an API token;
2. gunicorn with sync workers (LOAD_WORKERS, default 2 × cores + 1) on 127.0.0.1:8765
   (LOAD_PORT), DEBUG off, production settings except HTTPS redirects, **rate limits off**
   (every RATE_LIMIT_* = 0: one token posting hundreds of jobs a second is the point here);
3. each endpoint timed serially, unloaded, as the reference latency;
4. Locust headless (benchmarks/locustfile.py), in phases sharing LOAD_SECONDS: one endpoint at
   a time (read by id, nearby feed, job post: 20 % of the time each; DESIGN §8's req/s targets
   are per endpoint) and then the realistic mix (customers posting and following their jobs,
   helpers browsing and accepting: 40 %). LOAD_USERS concurrent users (default 2 × workers);
5. checks in the database: no job accepted twice, assignments, helper loads and payments
   consistent, the ledger balanced (`payments.selectors.unbalanced_jobs`), and no 5xx in the
   server's access log.

Prints a table per endpoint (requests, req/s, p50, p95, p99, errors, PASS/MISS against the
target), writes bench-results/load-latest.json, and exits 1 on any error or inconsistency (and,
with --strict, on a missed target too).
"""

from __future__ import annotations

import argparse
import csv
import http.client
import json
import os
import platform
import random
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
DEFAULT_OUTPUT = ROOT / "bench-results" / "load-latest.json"
SEED_VERSION = 1

# DESIGN §8: per endpoint, on 2 cores with the load generator on the same box.
P99_TARGET_MS = 20.0
TARGETS = {"read": 2_000.0, "nearby": 900.0, "post": 1_500.0}
ENDPOINTS = {
    "read": "GET /api/jobs/{id}",
    "nearby": "GET /api/helpers/me/feed",
    "post": "POST /api/jobs",
    "accept": "POST /api/jobs/{id}/accept",
}
# Isolated phases: (phase, Locust user class, task tag).
PHASES = (
    ("read", "Customer", "read"),
    ("nearby", "Helper", "nearby"),
    ("post", "Customer", "post"),
)
RATE_LIMIT_NAMES = (
    "LOGIN_IP",
    "LOGIN_EMAIL",
    "SIGNUP_IP",
    "TOKEN_CREATE",
    "JOB_POST",
    "JOB_ACCEPT",
)


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    cores = os.cpu_count() or 1
    parser = argparse.ArgumentParser(prog="python -m benchmarks.load", description=__doc__)
    parser.add_argument("--seconds", type=int, default=_env_int("LOAD_SECONDS", 60))
    parser.add_argument("--workers", type=int, default=_env_int("LOAD_WORKERS", 2 * cores + 1))
    parser.add_argument("--users", type=int, default=_env_int("LOAD_USERS", 0))
    parser.add_argument("--port", type=int, default=_env_int("LOAD_PORT", 8765))
    parser.add_argument("--helpers", type=int, default=_env_int("LOAD_HELPERS", 300))
    parser.add_argument("--customers", type=int, default=_env_int("LOAD_CUSTOMERS", 200))
    parser.add_argument(
        "--phases",
        choices=("all", "mixed"),
        default=os.environ.get("LOAD_PHASES", "all"),
        help="all: isolated endpoints then the mix; mixed: only the mix (the smoke test)",
    )
    parser.add_argument("--serial", type=int, default=_env_int("LOAD_SERIAL", 40))
    parser.add_argument("--rebuild", action="store_true", help="reseed the cached SQLite data")
    parser.add_argument("--strict", action="store_true", help="exit 1 on a missed target")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    args.users = args.users or 2 * args.workers
    if min(args.seconds, args.workers, args.users, args.helpers, args.customers) < 1:
        parser.error("seconds, workers, users, helpers and customers must be positive")
    return args


# --- Database --------------------------------------------------------------------------------


def _server_env(database_url: str) -> dict[str, str]:
    """Production settings for the server (and for this process's Django), minus HTTPS."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        SECURE_SSL_REDIRECT="0",
        SECURE_COOKIES="0",
        SECURE_HSTS_SECONDS="0",
        PAYMENTS_PROVIDER="bill_to_account",
        LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="marketplace.settings",
        PYTHONPATH=str(ROOT),
    )
    env.pop("SECRET_KEY", None)
    env.pop("FIELDFRIENDS_TESTING", None)
    for name in RATE_LIMIT_NAMES:
        env[f"RATE_LIMIT_{name}"] = "0"  # off for the load run (README "Load")
    return env


def _prepare_database(args) -> tuple[str, Path | None]:
    """Point DATABASE_URL at the load database. Returns (url, cached seed file or None)."""
    from benchmarks.db import CACHE_DIR, choose_database

    explicit = os.environ.get("LOAD_DATABASE_URL")
    configured = os.environ.get("DATABASE_URL", "")
    if not explicit and urlparse(configured).scheme in {"postgres", "postgresql"}:
        _drop_postgres(configured, "_load")
    url = choose_database(
        explicit_env="LOAD_DATABASE_URL",
        pg_suffix="_load",
        sqlite_name="load-run.sqlite3",
        rebuild=True,
    )
    if urlparse(url).scheme != "sqlite":
        return os.environ["DATABASE_URL"], None
    seed = CACHE_DIR / f"load-seed-v{SEED_VERSION}-h{args.helpers}-c{args.customers}.sqlite3"
    return os.environ["DATABASE_URL"], seed


def _drop_postgres(url: str, suffix: str) -> None:
    import psycopg
    from psycopg import sql

    parsed = urlparse(url)
    name = (parsed.path.lstrip("/") or "postgres").removesuffix(suffix) + suffix
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def _setup_django(database_url: str) -> None:
    os.environ.update(_server_env(database_url))
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def seed_population(*, helpers: int, customers: int, out) -> dict:
    """Migrate, load the demo data, add vetted helpers and customers around the market cities,
    give everyone an API token. Returns the population Locust reads (tokens included)."""
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db import transaction

    from marketplace.accounts.models import Role, User
    from marketplace.accounts.services import api_token_create
    from marketplace.helpers.models import HelperProfile, HelperStatus
    from marketplace.helpers.services import helper_apply, helper_vet
    from marketplace.jobs.services import job_post
    from marketplace.notifications.services import emails_muted
    from marketplace.pricing.models import Market, ServiceCategory
    from marketplace.seed import demo

    call_command("migrate", verbosity=0, interactive=False)
    with emails_muted():
        demo.seed_demo(stdout=None)
    rng = random.Random(demo.SEED + 7)
    operator = User.objects.get(email=demo.OPERATOR_EMAIL)
    categories = {c.slug: c for c in ServiceCategory.objects.filter(is_active=True)}
    markets = {m.code: m for m in Market.objects.all()}
    password = make_password(None)  # token-only accounts
    existing = HelperProfile.objects.filter(status=HelperStatus.VETTED).count()
    with emails_muted(), transaction.atomic():
        for n in range(max(0, helpers - existing)):
            city = demo.CITIES[n % len(demo.CITIES)]
            user = User.objects.create(
                email=f"load-helper{n:04d}@example.com",
                password=password,
                full_name=f"Load Helper {n}",
                role=Role.HELPER,
            )
            lat, lng = _around(rng, city.lat, city.lng, km=12)
            skills = [s for s in categories if rng.random() < 0.6] or [rng.choice(list(categories))]
            profile = helper_apply(
                user=user,
                market=markets[city.market],
                lat=lat,
                lng=lng,
                city=city.name,
                service_radius_km=rng.choice((8, 10, 12, 15, 20)),
                languages=city.languages[0],
                skills=[categories[s] for s in skills],
                slots=list(demo.ANYTIME),
                accept_code_of_conduct=True,
            )
            helper_vet(profile=profile, actor=operator, id_checked=True)
        people = []
        for n in range(customers):
            city = demo.CITIES[n % len(demo.CITIES)]
            user = User.objects.create(
                email=f"load-customer{n:04d}@example.com",
                password=password,
                full_name=f"Load Customer {n}",
                role=Role.CUSTOMER,
            )
            lat, lng = _around(rng, city.lat, city.lng, km=8)
            _token, raw = api_token_create(user=user, name="load")
            job = job_post(
                customer=user,
                category=categories[rng.choice(sorted(categories))],
                description="Seeded request: the printer does not find the wifi",
                lat=lat,
                lng=lng,
            )
            people.append({"id": user.pk, "token": raw, "lat": lat, "lng": lng, "jobs": [job.pk]})
        helper_rows = []
        for profile in HelperProfile.objects.filter(status=HelperStatus.VETTED).select_related(
            "user"
        ):
            _token, raw = api_token_create(user=profile.user, name="load")
            helper_rows.append({"id": profile.user_id, "token": raw})
    out.write(
        f"seeded: {len(helper_rows)} vetted helpers, {len(people)} customers (+ the demo data)\n"
    )
    return {"categories": sorted(categories), "customers": people, "helpers": helper_rows}


def _around(rng: random.Random, lat: float, lng: float, *, km: float) -> tuple[float, float]:
    import math

    north, east = rng.uniform(-km, km), rng.uniform(-km, km)
    return (
        round(lat + north / 111.32, 6),
        round(lng + east / (111.32 * math.cos(math.radians(lat))), 6),
    )


# --- Server ----------------------------------------------------------------------------------


class Server:
    """gunicorn with sync workers, its access log kept to count status codes afterwards."""

    def __init__(self, *, env: dict, port: int, workers: int, run_dir: Path):
        self.port = port
        self.access_log = run_dir / "access.log"
        self.error_log = run_dir / "gunicorn.log"
        for path in (self.access_log, self.error_log):
            path.unlink(missing_ok=True)
        self.cmd = [
            str(VENV_BIN / "gunicorn"),
            "marketplace.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--worker-class",
            "sync",
            "--backlog",
            "2048",
            "--timeout",
            "30",
            "--graceful-timeout",
            "5",
            "--access-logfile",
            str(self.access_log),
            "--access-logformat",
            "%(s)s %(m)s %(U)s",
            "--error-logfile",
            str(self.error_log),
            "--log-level",
            "warning",
        ]
        self.env = env
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> Server:
        if _port_busy(self.port):
            raise SystemExit(f"127.0.0.1:{self.port} is in use: set LOAD_PORT to a free port")
        # The server's own output (Django's request warnings, tracebacks) goes to its log.
        self.proc = subprocess.Popen(
            self.cmd,
            cwd=ROOT,
            env=self.env,
            start_new_session=True,
            stdout=self.error_log.open("ab"),
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"gunicorn exited early; see {self.error_log}")
            try:
                status, _ = request(self.port, "GET", "/api/categories")
                if status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.2)
        raise SystemExit("gunicorn did not answer within 60 s")

    def __exit__(self, *exc) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()

    def status_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        if self.access_log.exists():
            with self.access_log.open(encoding="utf-8", errors="replace") as fh:
                for line in fh:
                    status = line.split(" ", 1)[0]
                    counts[status] = counts.get(status, 0) + 1
        return dict(sorted(counts.items()))

    def worker_problems(self) -> list[str]:
        if not self.error_log.exists():
            return []
        lines = self.error_log.read_text(encoding="utf-8", errors="replace").splitlines()
        markers = ("WORKER TIMEOUT", "Traceback", " ERROR ", "[ERROR]", "CRITICAL")
        return [ln for ln in lines if any(m in ln for m in markers)]


def _port_busy(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


_connections: dict[int, http.client.HTTPConnection] = {}


def request(port: int, method: str, path: str, *, token: str = "", body=None):
    """One request on a kept-alive connection: (status, parsed JSON or None)."""
    conn = _connections.get(port) or http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    _connections[port] = conn
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    try:
        conn.request(method, path, body=data, headers=headers)
        resp = conn.getresponse()
        raw = resp.read()
    except (OSError, http.client.HTTPException):
        conn.close()
        _connections.pop(port, None)
        raise
    if resp.getheader("Connection", "").lower() == "close":
        conn.close()
        _connections.pop(port, None)
    try:
        return resp.status, json.loads(raw) if raw else None
    except ValueError:
        return resp.status, None


# --- Warm-up and serial reference ---------------------------------------------------------


def warm_up(port: int, population: dict, workers: int) -> None:
    """Every worker imports the URLconf and the API on its first request (about a second each
    on this box): send enough concurrent requests that all of them did before timing starts."""
    from concurrent.futures import ThreadPoolExecutor

    customer, helper = population["customers"][0], population["helpers"][0]

    def hit(_n):
        for path, token in (("/api/helpers/me/feed", helper["token"]), ("/api/jobs", "")):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            try:
                conn.request(
                    "GET", path, headers={"Authorization": f"Bearer {token or customer['token']}"}
                )
                conn.getresponse().read()
            finally:
                conn.close()

    with ThreadPoolExecutor(max_workers=2 * workers) as pool:
        list(pool.map(hit, range(8 * workers)))


def serial_reference(port: int, population: dict, runs: int) -> dict[str, dict]:
    """Each endpoint alone, one request at a time (unloaded latency), after a short warm-up."""
    rng = random.Random(11)
    customer = population["customers"][0]
    categories = population["categories"]
    times: dict[str, list[float]] = {key: [] for key in ENDPOINTS}
    statuses: dict[str, list[int]] = {key: [] for key in ENDPOINTS}

    def timed(key, method, path, token, body=None):
        started = time.perf_counter()
        status, data = request(port, method, path, token=token, body=body)
        times[key].append((time.perf_counter() - started) * 1000)
        statuses[key].append(status)
        return status, data

    job_ids = []
    for _ in range(runs + 5):
        body = {
            "category": rng.choice(categories),
            "description": "Serial reference request",
            "lat": customer["lat"],
            "lng": customer["lng"],
        }
        status, data = timed("post", "POST", "/api/jobs", customer["token"], body)
        if status == 201:
            job_ids.append(data["id"])
    for i in range(runs + 5):
        timed("read", "GET", f"/api/jobs/{job_ids[i % len(job_ids)]}", customer["token"])
    helper = next(
        (
            h
            for h in population["helpers"]
            if request(port, "GET", "/api/helpers/me/feed", token=h["token"])[1]
        ),
        population["helpers"][0],
    )
    for _ in range(runs + 5):
        timed("nearby", "GET", "/api/helpers/me/feed", helper["token"])
    # Acceptances: take jobs from the helper's feed, then do them so capacity comes back.
    for _ in range(runs + 5):
        _status, feed = request(port, "GET", "/api/helpers/me/feed", token=helper["token"])
        if not feed:
            break
        job_id = feed[0]["job_id"]
        status, _ = timed("accept", "POST", f"/api/jobs/{job_id}/accept", helper["token"], {})
        if status == 200:
            request(port, "POST", f"/api/jobs/{job_id}/check-in", token=helper["token"], body={})
            request(port, "POST", f"/api/jobs/{job_id}/complete", token=helper["token"], body={})
    result = {}
    for key, values in times.items():
        values = values[5:] or values  # drop the warm-up
        if not values:
            continue
        ordered = sorted(values)
        result[key] = {
            "runs": len(values),
            "p50_ms": round(statistics.median(values), 2),
            "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 2),
            "errors": sum(1 for s in statuses[key] if s >= 500),
        }
    return result


# --- Locust ----------------------------------------------------------------------------------


def run_locust(
    *, port: int, users: int, seconds: int, users_file: Path, prefix: Path, classes, tags
) -> dict[str, dict]:
    env = dict(os.environ)
    env["LOAD_USERS_FILE"] = str(users_file)
    cmd = [
        str(VENV_BIN / "locust"),
        "-f",
        str(ROOT / "benchmarks" / "locustfile.py"),
        "--headless",
        "--host",
        f"http://127.0.0.1:{port}",
        "--users",
        str(users),
        "--spawn-rate",
        str(users),
        "--run-time",
        f"{seconds}s",
        "--stop-timeout",
        "5",
        "--csv",
        str(prefix),
        "--only-summary",
        "--loglevel",
        "WARNING",
        *(["--tags", *tags] if tags else []),
        *classes,
    ]
    proc = subprocess.run(
        cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=seconds + 120
    )
    stats_file = Path(f"{prefix}_stats.csv")
    if not stats_file.exists():
        sys.stderr.write(proc.stdout[-3000:] + proc.stderr[-3000:])
        raise SystemExit(f"locust produced no statistics (exit {proc.returncode})")
    rows = {}
    with stats_file.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            name = row["Name"] if row["Name"] != "Aggregated" else "all"
            rows[name] = {
                "requests": int(row["Request Count"]),
                "failures": int(row["Failure Count"]),
                "rps": float(row["Requests/s"]),
                "p50_ms": _num(row["50%"]),
                "p95_ms": _num(row["95%"]),
                "p99_ms": _num(row["99%"]),
                "max_ms": _num(row["Max Response Time"]),
            }
    failures = []
    failures_file = Path(f"{prefix}_failures.csv")
    if failures_file.exists():
        with failures_file.open(encoding="utf-8") as fh:
            failures = [
                {"name": r["Name"], "error": r["Error"], "count": int(r["Occurrences"])}
                for r in csv.DictReader(fh)
            ]
    rows["_failures"] = failures  # type: ignore[assignment]
    return rows


def _num(value: str) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


# --- Checks in the database ------------------------------------------------------------------


def verify_database() -> dict[str, int]:
    """Counts of inconsistencies (all must be 0) and a few totals for the report."""
    from django.db import connection
    from django.db.models import Count, F, Q

    from marketplace.helpers.models import HelperProfile
    from marketplace.jobs.models import ASSIGNED, JobEvent, JobOffer, JobRequest, OfferStatus
    from marketplace.payments.models import Payment
    from marketplace.payments.selectors import unbalanced_jobs

    connection.close()  # fresh connection: see everything the server committed
    accepted_twice = (
        JobOffer.objects.filter(status=OfferStatus.ACCEPTED)
        .values("job_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )
    # Every acceptance is an event; without a release in between there is at most one.
    events = (
        JobEvent.objects.values("job_id")
        .annotate(
            accepted=Count("id", filter=Q(kind="accepted")),
            released=Count("id", filter=Q(kind="released")),
        )
        .filter(accepted__gt=F("released") + 1)
        .count()
    )
    held = ("accepted", "in_progress")
    unassigned = JobRequest.objects.filter(
        status__in=(*ASSIGNED, "confirmed"), assigned_helper__isnull=True
    ).count()
    assigned_but_open = JobRequest.objects.filter(
        status__in=("open", "offered"), assigned_helper__isnull=False
    ).count()
    offer_mismatch = (
        JobOffer.objects.filter(status=OfferStatus.ACCEPTED, job__status__in=held)
        .exclude(helper_id=F("job__assigned_helper_id"))
        .count()
    )
    loads = HelperProfile.objects.annotate(
        held=Count("user__assigned_jobs", filter=Q(user__assigned_jobs__status__in=held))
    )
    wrong_load = loads.exclude(active_jobs=F("held")).count()
    over_capacity = HelperProfile.objects.filter(active_jobs__gt=F("max_active_jobs")).count()
    unpaid = JobRequest.objects.filter(
        status__in=(*held, "completed"), payment__isnull=True
    ).count()
    return {
        "jobs_accepted_twice": accepted_twice,
        "jobs_with_two_acceptances": events,
        "assigned_jobs_without_helper": unassigned,
        "open_jobs_with_helper": assigned_but_open,
        "accepted_offer_not_the_assignee": offer_mismatch,
        "helpers_with_wrong_load": wrong_load,
        "helpers_over_capacity": over_capacity,
        "booked_jobs_without_payment": unpaid,
        "unbalanced_ledgers": len(list(unbalanced_jobs())),
        "_jobs": JobRequest.objects.count(),
        "_accepted": JobEvent.objects.filter(kind="accepted").count(),
        "_payments": Payment.objects.count(),
    }


# --- Main ------------------------------------------------------------------------------------


def _fmt(value, spec=".1f") -> str:
    return "—" if value is None else format(value, spec)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    out = sys.stdout
    run_dir = Path(os.environ.get("BENCH_CACHE_DIR", "/tmp/fieldfriends-bench")) / "load"
    run_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()

    database_url, seed_file = _prepare_database(args)
    users_file = run_dir / "population.json"
    if seed_file is not None and seed_file.exists() and not args.rebuild:
        run_file = Path(urlparse(database_url).path)
        shutil.copyfile(seed_file, run_file)
        shutil.copyfile(seed_file.with_suffix(".json"), users_file)
        _setup_django(database_url)
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)  # code may be newer than seed
        out.write(f"database: {database_url} (seeded copy of {seed_file.name})\n")
    else:
        _setup_django(database_url)
        out.write(f"database: {database_url} (seeding …)\n")
        population = seed_population(helpers=args.helpers, customers=args.customers, out=out)
        users_file.write_text(json.dumps(population))
        if seed_file is not None:
            from django.db import connection

            connection.close()
            with __import__("sqlite3").connect(urlparse(database_url).path) as db:
                db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            shutil.copyfile(urlparse(database_url).path, seed_file)
            shutil.copyfile(users_file, seed_file.with_suffix(".json"))
    population = json.loads(users_file.read_text())
    from django.db import connection

    connection.close()  # the server's workers own the database during the run
    setup_seconds = time.perf_counter() - started

    phases = []
    if args.phases == "all":
        isolated = max(1, round(args.seconds * 0.2))
        phases = [(name, [cls], [tag], isolated) for name, cls, tag in PHASES]
        mixed_seconds = max(1, args.seconds - 3 * isolated)
    else:
        mixed_seconds = args.seconds
    phases.append(("mixed", ["Customer", "Helper"], [], mixed_seconds))

    out.write(
        f"server: gunicorn, {args.workers} sync workers on 127.0.0.1:{args.port}, DEBUG off, "
        f"rate limits off (RATE_LIMIT_*=0); load: Locust, {args.users} users, no think time, "
        f"same {os.cpu_count()}-core box; setup {setup_seconds:.0f} s\n"
    )
    results: dict[str, dict] = {}
    with Server(
        env=_server_env(database_url), port=args.port, workers=args.workers, run_dir=run_dir
    ) as server:
        warm_up(args.port, population, args.workers)
        serial = serial_reference(args.port, population, args.serial)
        for name, classes, tags, seconds in phases:
            out.write(f"phase {name}: {seconds} s …\n")
            out.flush()
            results[name] = run_locust(
                port=args.port,
                users=args.users,
                seconds=seconds,
                users_file=users_file,
                prefix=run_dir / f"locust-{name}",
                classes=classes,
                tags=tags,
            )
        statuses = server.status_counts()
        worker_problems = server.worker_problems()

    _setup_django(database_url)
    checks = verify_database()
    server_5xx = sum(n for s, n in statuses.items() if s.startswith("5"))

    # --- Report ---
    out.write("\n")
    header = (
        f"{'phase':<8}{'endpoint':<28}{'requests':>9}{'req/s':>8}{'p50 ms':>8}{'p95 ms':>8}"
        f"{'p99 ms':>8}{'errors':>7}  {'serial p50/p99 ms':<18} target"
    )
    out.write(header + "\n" + "-" * len(header) + "\n")
    verdicts = {}
    for phase, rows in results.items():
        for key, label in ENDPOINTS.items():
            row = rows.get(label)
            if not row:
                continue
            s = serial.get(key)
            serial_text = f"{s['p50_ms']:.1f} / {s['p99_ms']:.1f}" if s else "—"
            target_text = ""
            if phase == key and key in TARGETS:
                ok_rps = row["rps"] >= TARGETS[key]
                ok_p99 = row["p99_ms"] is not None and row["p99_ms"] <= P99_TARGET_MS
                ok = ok_rps and ok_p99 and row["failures"] == 0
                verdicts[key] = ok
                target_text = (
                    f"≥{TARGETS[key]:,.0f}/s p99≤{P99_TARGET_MS:g}: {'PASS' if ok else 'MISS'}"
                )
            elif phase == "mixed":
                target_text = "(mix)"
            out.write(
                f"{phase:<8}{label:<28}{row['requests']:>9}{row['rps']:>8.0f}"
                f"{_fmt(row['p50_ms'], '.0f'):>8}{_fmt(row['p95_ms'], '.0f'):>8}"
                f"{_fmt(row['p99_ms'], '.0f'):>8}{row['failures']:>7}  {serial_text:<18} "
                f"{target_text}\n"
            )
        total = rows.get("all")
        if total and phase == "mixed":
            out.write(
                f"{phase:<8}{'all requests':<28}{total['requests']:>9}{total['rps']:>8.0f}"
                f"{_fmt(total['p50_ms'], '.0f'):>8}{_fmt(total['p95_ms'], '.0f'):>8}"
                f"{_fmt(total['p99_ms'], '.0f'):>8}{total['failures']:>7}\n"
            )
    failures = [f for rows in results.values() for f in rows.get("_failures", [])]
    locust_failures = sum(f["count"] for f in failures)
    out.write("\n")
    for failure in failures[:8]:
        out.write(f"  failure x{failure['count']}: {failure['name']}: {failure['error']}\n")
    out.write(f"server status codes: {statuses}  (5xx: {server_5xx})\n")
    if worker_problems:
        out.write(
            f"gunicorn error log: {len(worker_problems)} problem line(s), e.g. "
            f"{worker_problems[0][:160]}\n"
        )
    problems = {k: v for k, v in checks.items() if not k.startswith("_") and v}
    out.write(
        f"database: {checks['_jobs']} jobs, {checks['_accepted']} acceptances, "
        f"{checks['_payments']} payments; "
        + (
            "all consistent (no double acceptance, loads, payments, ledger balanced)"
            if not problems
            else f"INCONSISTENT: {problems}"
        )
        + "\n"
    )
    missed = [k for k, ok in verdicts.items() if not ok]
    errors = bool(problems or server_5xx or locust_failures or worker_problems)
    verdict_text = ", ".join(f"{k} {'PASS' if v else 'MISS'}" for k, v in verdicts.items())
    out.write(f"targets: {verdict_text or 'n/a'}; errors: {'YES' if errors else 'none'}\n")

    report = {
        "benchmark": "load",
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": {"vendor": connection.vendor, "url": _safe_url(database_url)},
        "server": {"workers": args.workers, "worker_class": "sync", "port": args.port},
        "load": {"users": args.users, "seconds": args.seconds, "think_time_s": 0},
        "rate_limits": "off (RATE_LIMIT_*=0)",
        "population": {
            "helpers": len(population["helpers"]),
            "customers": len(population["customers"]),
        },
        "environment": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_average": os.getloadavg(),
            "machine": platform.machine(),
        },
        "targets": {"rps": TARGETS, "p99_ms": P99_TARGET_MS, "verdicts": verdicts},
        "serial": serial,
        "phases": {k: {n: r for n, r in v.items() if n != "_failures"} for k, v in results.items()},
        "failures": failures,
        "server_status_codes": statuses,
        "worker_problems": worker_problems[:20],
        "checks": checks,
        "ok": not errors,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    out.write(f"results: {args.output}\n")
    if errors:
        return 1
    return 1 if args.strict and missed else 0


def _safe_url(url: str) -> str:
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        return url
    return parsed._replace(netloc=parsed.hostname or "").geturl()


if __name__ == "__main__":
    sys.exit(main(argv=sys.argv[1:]))
