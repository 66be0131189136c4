"""Matching benchmark (DESIGN §8): `helpers_near` against the naive full scan on the same points.

Import this module only after ``django.setup()``. The pieces:

* :func:`generate_helpers` bulk-creates helpers clustered around Polish and Swiss cities, with
  the mix of statuses, skills, radii, availability, load and ratings matching sees in production.
  Only the columns matching reads are filled in (the ``skills_mask``/``availability_hours``
  mirrors, not the HelperSkill/AvailabilitySlot rows they mirror).
* :func:`make_queries` draws job points near the same cities, with mixed categories and time
  windows.
* :func:`run_matching` times both selectors through the ORM and checks that their top-k agree.
* :func:`ensure_dataset` caches a generated dataset in the benchmark database, keyed by size,
  seed and :data:`DATA_VERSION`.
"""

from __future__ import annotations

import hashlib
import inspect
import math
import random
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dt_time
from unittest import mock
from zoneinfo import ZoneInfo

from django.db import connection, transaction

from benchmarks.constants import DATA_VERSION, DEFAULT_SEED
from benchmarks.db import read_fingerprint, write_fingerprint
from marketplace.accounts.models import Role, User
from marketplace.helpers import selectors
from marketplace.helpers.availability import hours_mask, window_hours
from marketplace.helpers.models import HelperProfile, HelperStatus
from marketplace.pricing.models import Market, ServiceCategory
from marketplace.pricing.reference import ensure_reference_data

EMAIL_DOMAIN = "bench.invalid"
KM_PER_DEGREE_LAT = 111.32
CORE_SIGMA_KM = 5.0
SUBURB_SIGMA_KM = 12.0
BELT_INNER_KM = 10.0
MAX_SPREAD_KM = 30.0
# A fixed "now" so that generated data (idle times) and query windows are reproducible.
REFERENCE_EPOCH = int(datetime(2026, 3, 1, tzinfo=UTC).timestamp())
QUERY_WEEK_START = date(2026, 3, 2)  # a Monday
NIGHT_SHARE = 0.08


@dataclass(frozen=True)
class City:
    name: str
    market: str
    time_zone: str
    lat: float
    lng: float
    weight: float  # share of helpers and of job requests, roughly the population


CITIES: tuple[City, ...] = (
    City("Warszawa", "pl", "Europe/Warsaw", 52.22977, 21.01178, 1.80),
    City("Kraków", "pl", "Europe/Warsaw", 50.06143, 19.93658, 0.80),
    City("Łódź", "pl", "Europe/Warsaw", 51.75924, 19.45598, 0.67),
    City("Wrocław", "pl", "Europe/Warsaw", 51.10789, 17.03854, 0.64),
    City("Poznań", "pl", "Europe/Warsaw", 52.40692, 16.92993, 0.53),
    City("Gdańsk", "pl", "Europe/Warsaw", 54.35205, 18.64637, 0.47),
    City("Katowice", "pl", "Europe/Warsaw", 50.25841, 19.02754, 0.29),
    City("Zürich", "ch", "Europe/Zurich", 47.37689, 8.54169, 0.42),
    City("Genève", "ch", "Europe/Zurich", 46.20222, 6.14569, 0.20),
    City("Basel", "ch", "Europe/Zurich", 47.55839, 7.57327, 0.18),
    City("Bern", "ch", "Europe/Zurich", 46.94809, 7.44744, 0.14),
    City("Lausanne", "ch", "Europe/Zurich", 46.51600, 6.63282, 0.14),
)

# Independent chance of each skill (by category bit); every helper has at least one.
SKILL_ODDS = {0: 0.70, 1: 0.45, 2: 0.25, 3: 0.30, 4: 0.40, 5: 0.50}
RADII_KM = (5, 5, 8, 10, 10, 10, 12, 15, 15, 20, 25)
# (status, share): about 80 % vetted.
STATUS_MIX = (
    (HelperStatus.VETTED, 0.80),
    (HelperStatus.APPLIED, 0.10),
    (HelperStatus.SUSPENDED, 0.06),
    (HelperStatus.REJECTED, 0.04),
)
WEEKDAYS = range(5)
WEEKEND = (5, 6)
ALL_DAYS = range(7)
AVAILABILITY_PATTERNS: tuple[tuple[float, list[tuple[int, int, int]]], ...] = (
    (0.25, [(d, 17, 22) for d in WEEKDAYS]),  # after work
    (0.15, [(d, 9, 19) for d in WEEKEND]),  # weekends
    (0.15, [(d, 17, 22) for d in WEEKDAYS] + [(d, 10, 18) for d in WEEKEND]),
    (0.15, [(d, 8, 17) for d in WEEKDAYS]),  # students, retirees
    (0.10, [(d, 7, 22) for d in ALL_DAYS]),  # almost always
)  # the remaining share gets a random set of blocks


def offset_point(lat: float, lng: float, east_km: float, north_km: float) -> tuple[float, float]:
    """The point `east_km`/`north_km` away from (lat, lng), on a local flat approximation."""
    new_lat = lat + north_km / KM_PER_DEGREE_LAT
    new_lng = lng + east_km / (KM_PER_DEGREE_LAT * math.cos(math.radians(lat)))
    return new_lat, new_lng


def _offset_km(rng: random.Random, *, core: float, suburbs: float) -> tuple[float, float]:
    """(east, north) km from a city centre: a dense core (2-D Gaussian, sigma 5 km), suburbs
    (sigma 12 km) and a commuter belt spread evenly over the 10–30 km ring."""
    roll = rng.random()
    if roll < core + suburbs:
        sigma = CORE_SIGMA_KM if roll < core else SUBURB_SIGMA_KM
        east, north = rng.gauss(0.0, sigma), rng.gauss(0.0, sigma)
        distance = math.hypot(east, north)
        if distance <= MAX_SPREAD_KM:
            return east, north
        scale = MAX_SPREAD_KM * rng.random() / distance  # pull the rare far tail back inside
        return east * scale, north * scale
    distance = math.sqrt(rng.uniform(BELT_INNER_KM**2, MAX_SPREAD_KM**2))  # uniform by area
    bearing = rng.uniform(0.0, 2 * math.pi)
    return distance * math.sin(bearing), distance * math.cos(bearing)


def _point_near(
    rng: random.Random, city: City, *, core: float, suburbs: float
) -> tuple[float, float]:
    east, north = _offset_km(rng, core=core, suburbs=suburbs)
    return offset_point(city.lat, city.lng, east, north)


def _weighted(rng: random.Random, pairs):
    roll = rng.random() * sum(weight for weight, _ in pairs)
    for weight, value in pairs:
        roll -= weight
        if roll < 0:
            return value
    return pairs[-1][1]


def _availability(rng: random.Random, masks: list[tuple[float, str]]) -> str:
    roll = rng.random()
    for share, mask in masks:
        if roll < share:
            return mask
        roll -= share
    blocks = []
    for _ in range(rng.randint(2, 6)):
        start = rng.randint(6, 20)
        blocks.append((rng.randrange(7), start, min(24, start + rng.randint(2, 6))))
    return hours_mask(blocks)


def _skills_mask(rng: random.Random, bits: Sequence[int]) -> int:
    mask = 0
    for bit in bits:
        if rng.random() < SKILL_ODDS.get(bit, 0.3):
            mask |= 1 << bit
    return mask or 1 << rng.choice(list(bits))


def generate_helpers(
    count: int,
    *,
    seed: int = DEFAULT_SEED,
    cities: Sequence[City] = CITIES,
    email_prefix: str = "bench",
    batch_size: int = 5_000,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Bulk-create `count` helpers (and their users) around `cities`. Deterministic per seed."""
    ensure_reference_data()
    rng = random.Random(seed)
    markets = {m.code: m.pk for m in Market.objects.all()}
    bits = sorted(ServiceCategory.objects.values_list("bit", flat=True))
    city_weights = [(c.weight, c) for c in cities]
    pattern_masks = [(share, hours_mask(slots)) for share, slots in AVAILABILITY_PATTERNS]
    statuses = [(share, status) for status, share in STATUS_MIX]
    created = 0
    while created < count:
        size = min(batch_size, count - created)
        users, specs = [], []
        for i in range(created, created + size):
            city = _weighted(rng, city_weights)
            lat, lng = _point_near(rng, city, core=0.45, suburbs=0.40)
            status = _weighted(rng, statuses)
            max_jobs = rng.choice((1, 2, 2, 2, 3))
            load_roll = rng.random()
            active = 0 if load_roll < 0.85 else (1 if load_roll < 0.97 else max_jobs)
            rating_count = rng.choice((0, 0, 1, 2, 3, 5, 8, 13, 21, 34))
            own_mean = rng.uniform(3.2, 5.0)
            rating_sum = round(own_mean * rating_count)
            idle = 0 if rng.random() < 0.3 else REFERENCE_EPOCH - rng.randrange(60 * 86_400)
            users.append(
                User(
                    email=f"{email_prefix}{i:07d}@{EMAIL_DOMAIN}",
                    role=Role.HELPER,
                    password="!",  # unusable: benchmark helpers never log in
                )
            )
            specs.append(
                dict(
                    market_id=markets[city.market],
                    city=city.name,
                    lat=round(lat, 6),
                    lng=round(lng, 6),
                    service_radius_km=rng.choice(RADII_KM),
                    status=status,
                    is_available=rng.random() < 0.92,
                    skills_mask=_skills_mask(rng, bits),
                    availability_hours=_availability(rng, pattern_masks),
                    max_active_jobs=max_jobs,
                    active_jobs=active,
                    completed_jobs=rating_count + rng.randrange(3),
                    rating_sum=rating_sum,
                    rating_count=rating_count,
                    rating=round((rating_sum + 8.0) / (rating_count + 2), 4),
                    last_assigned_epoch=idle,
                    languages="pl,en" if city.market == "pl" else "de,en",
                )
            )
        with transaction.atomic():
            users = User.objects.bulk_create(users, batch_size=1_000)
            HelperProfile.objects.bulk_create(
                [HelperProfile(user_id=u.pk, **spec) for u, spec in zip(users, specs, strict=True)],
                batch_size=1_000,
            )
        created += size
        if progress:
            progress(created)
    return created


@dataclass(frozen=True)
class MatchQuery:
    city: str
    lat: float
    lng: float
    skill_mask: int
    hours: frozenset[int]

    def kwargs(self, *, k: int, max_radius_km: float) -> dict:
        return dict(
            lat=self.lat,
            lng=self.lng,
            skill_mask=self.skill_mask,
            hours=self.hours,
            max_radius_km=max_radius_km,
            k=k,
        )


def make_queries(
    count: int, *, seed: int = DEFAULT_SEED + 1, cities: Sequence[City] = CITIES
) -> list[MatchQuery]:
    """Job points near the cities (customers live where people do), with random categories and
    two- to four-hour windows in a week, mostly in the daytime."""
    rng = random.Random(seed)
    bits = sorted(ServiceCategory.objects.values_list("bit", flat=True)) or [0]
    city_weights = [(c.weight, c) for c in cities]
    queries = []
    for _ in range(count):
        city = _weighted(rng, city_weights)
        lat, lng = _point_near(rng, city, core=0.60, suburbs=0.32)
        # Mostly daytime and evening; some late "as soon as possible" requests at night.
        if rng.random() < NIGHT_SHARE:
            hour = rng.choice((21, 22, 23, 0, 1, 2, 3, 4, 5, 6))
        else:
            hour = rng.randrange(7, 21)
        start = datetime.combine(
            QUERY_WEEK_START + timedelta(days=rng.randrange(7)),
            dt_time(hour),
            tzinfo=ZoneInfo(city.time_zone),
        )
        end = start + timedelta(hours=rng.choice((2, 3, 4)))
        queries.append(
            MatchQuery(
                city=city.name,
                lat=round(lat, 6),
                lng=round(lng, 6),
                skill_mask=1 << rng.choice(bits),
                hours=window_hours(start, end, city.time_zone),
            )
        )
    return queries


@dataclass
class Timing:
    runs: int
    p50_ms: float
    p95_ms: float
    mean_ms: float
    min_ms: float

    @classmethod
    def of(cls, samples_ns: list[int]) -> Timing:
        ms = sorted(s / 1e6 for s in samples_ns)
        return cls(
            runs=len(ms),
            p50_ms=round(_percentile(ms, 50), 4),
            p95_ms=round(_percentile(ms, 95), 4),
            mean_ms=round(statistics.fmean(ms), 4),
            min_ms=round(ms[0], 4),
        )


def _percentile(sorted_values: list[float], pct: float) -> float:
    """Linear-interpolated percentile of an already sorted list."""
    if len(sorted_values) == 1:
        return sorted_values[0]
    pos = (len(sorted_values) - 1) * pct / 100
    lo = math.floor(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


@dataclass
class Mismatch:
    query: dict
    fast: list
    naive: list


@dataclass
class MatchingResult:
    fast: Timing
    naive: Timing
    compared: int
    identical: int
    mismatches: list[Mismatch] = field(default_factory=list)
    diagnostics: dict = field(default_factory=dict)

    @property
    def ratio(self) -> float:
        return self.naive.p50_ms / self.fast.p50_ms if self.fast.p50_ms else math.inf

    def as_dict(self) -> dict:
        data = asdict(self)
        data["ratio_p50"] = round(self.ratio, 1)
        return data


def _timed(fn, kwargs) -> tuple[int, list]:
    start = time.perf_counter_ns()
    result = fn(**kwargs)
    return time.perf_counter_ns() - start, result


def run_matching(
    queries: Sequence[MatchQuery],
    *,
    fast_runs: int,
    naive_runs: int,
    k: int = 3,
    max_radius_km: float = 25,
    warmup: int = 50,
) -> MatchingResult:
    """Time `helpers_near` on `fast_runs` queries (cycling through `queries`) and
    `helpers_near_naive` on the first `naive_runs` of them, and compare top-k where both ran."""
    if not queries:
        raise ValueError("No queries")
    fast, naive = selectors.helpers_near, selectors.helpers_near_naive
    for q in queries[:warmup]:
        fast(**q.kwargs(k=k, max_radius_km=max_radius_km))
    naive_samples, naive_results = [], []
    for q in queries[:naive_runs]:
        elapsed, result = _timed(naive, q.kwargs(k=k, max_radius_km=max_radius_km))
        naive_samples.append(elapsed)
        naive_results.append(result)
    fast_samples, fast_results = [], {}
    for i in range(fast_runs):
        index = i % len(queries)
        elapsed, result = _timed(fast, queries[index].kwargs(k=k, max_radius_km=max_radius_km))
        fast_samples.append(elapsed)
        fast_results.setdefault(index, result)
    mismatches = []
    for index, expected in enumerate(naive_results):
        got = fast_results.get(index)
        if got is None:
            got = fast(**queries[index].kwargs(k=k, max_radius_km=max_radius_km))
        if got != expected:
            mismatches.append(
                Mismatch(
                    query={**asdict(queries[index]), "hours": sorted(queries[index].hours)},
                    fast=[asdict(c) for c in got],
                    naive=[asdict(c) for c in expected],
                )
            )
    return MatchingResult(
        fast=Timing.of(fast_samples),
        naive=Timing.of(naive_samples or [0]),
        compared=len(naive_results),
        identical=len(naive_results) - len(mismatches),
        mismatches=mismatches,
    )


def diagnose(
    queries: Sequence[MatchQuery], *, k: int = 3, max_radius_km: float = 25, sample: int = 300
) -> dict:
    """Where the fast path spends its effort (untimed pass): SQL round-trips and rows fetched
    per match, found results, and the SQL plan of one shortlist query."""
    calls = {"queries": 0, "rows": 0}
    real_rank = selectors._rank

    def counting_rank(rows, **kwargs):
        rows = list(rows)
        calls["queries"] += 1
        calls["rows"] += len(rows)
        return real_rank(rows, **kwargs)

    sample_queries = list(queries[:sample])
    found = []
    with mock.patch.object(selectors, "_rank", counting_rank):
        for q in sample_queries:
            found.append(len(selectors.helpers_near(**q.kwargs(k=k, max_radius_km=max_radius_km))))
    n = max(1, len(sample_queries))
    return {
        "sampled": len(sample_queries),
        "sql_queries_per_match": round(calls["queries"] / n, 2),
        "rows_fetched_per_match": round(calls["rows"] / n, 1),
        "short_results": sum(1 for f in found if f < k),
        "plan": query_plan(sample_queries[0]) if sample_queries else [],
    }


def query_plan(q: MatchQuery, *, radius_km: float = 2) -> list[str]:
    """The database's plan for one shortlist query of the fast path."""
    qs = selectors._matchable_fast(exclude_user_ids=()).filter(
        selectors.shortlist_condition(
            lat=q.lat, lng=q.lng, radius_km=radius_km, hours=q.hours, skill_mask=q.skill_mask
        )
    )
    sql, params = qs.query.sql_with_params()
    prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
    with connection.cursor() as cursor:
        cursor.execute(prefix + sql, params)
        rows = cursor.fetchall()
    return [str(row[-1]) if connection.vendor == "sqlite" else str(row[0]) for row in rows]


# --- Dataset cache --------------------------------------------------------------------------

META_TABLE = "bench_dataset"


def _generator_digest() -> str:
    """A hash of the generation code and tables, so editing them invalidates cached datasets
    even when nobody remembers to bump DATA_VERSION."""
    parts = [
        inspect.getsource(fn)
        for fn in (generate_helpers, _offset_km, _point_near, _availability, _skills_mask)
    ]
    parts.append(
        repr((CITIES, SKILL_ODDS, RADII_KM, STATUS_MIX, AVAILABILITY_PATTERNS, REFERENCE_EPOCH))
    )
    parts.append(repr((CORE_SIGMA_KM, SUBURB_SIGMA_KM, BELT_INNER_KM, MAX_SPREAD_KM)))
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:12]


def dataset_fingerprint(count: int, seed: int) -> str:
    return f"matching-v{DATA_VERSION}-n{count}-seed{seed}-{_generator_digest()}"


def _wipe_helpers() -> None:
    """Remove a previous (or half-built) dataset. Only ever run on the benchmark database."""
    profiles, users = HelperProfile._meta.db_table, User._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {META_TABLE}")
        cursor.execute(f"DELETE FROM {profiles}")
        cursor.execute(f"DELETE FROM {users} WHERE email LIKE %s", [f"%@{EMAIL_DOMAIN}"])


def ensure_dataset(
    count: int,
    *,
    seed: int = DEFAULT_SEED,
    rebuild: bool = False,
    log: Callable[[str], None] = print,
) -> bool:
    """Make the benchmark database hold exactly the dataset for (count, seed, DATA_VERSION).
    Returns True when it had to be generated, False when the cached one was reused."""
    fingerprint = dataset_fingerprint(count, seed)
    cached = read_fingerprint(META_TABLE)  # also creates the bookkeeping table on a fresh database
    if not rebuild and cached == fingerprint:
        return False
    _wipe_helpers()
    started = time.perf_counter()
    step = max(count // 10, 1)

    def progress(done: int) -> None:
        if done % step < 5_000 or done == count:
            log(f"  generated {done:,}/{count:,} helpers ({time.perf_counter() - started:.0f} s)")

    generate_helpers(count, seed=seed, progress=progress)
    with connection.cursor() as cursor:
        # VACUUM sets PostgreSQL's visibility map, so covering-index scans skip the heap.
        # (Not possible inside a transaction, as in the test suite: plain ANALYZE there.)
        vacuum = connection.vendor == "postgresql" and not connection.in_atomic_block
        cursor.execute("VACUUM ANALYZE" if vacuum else "ANALYZE")
    write_fingerprint(META_TABLE, fingerprint)
    return True
