"""Reads about helpers, above all matching by distance (DESIGN §4).

`helpers_near` searches an expanding bounding box on the partial (lat_band, lng) index of matchable
helpers, measures haversine distance on that shortlist only, applies each helper's own service
radius, availability and load, and ranks by distance (whole kilometres), then rating, then
fairness (longest idle first). It stops widening as soon as the k-th result is provably better
than anything outside the box, so its answer is identical to `helpers_near_naive`, the full scan
that benchmarks and tests compare it with.
"""

import math
from dataclasses import dataclass

from django.db import connections
from django.db.models import BooleanField, F, Q, QuerySet
from django.db.models.expressions import RawSQL

from marketplace.core.errors import NotFound
from marketplace.core.geo import EARTH_RADIUS_KM, bounding_box, haversine_km
from marketplace.helpers.availability import is_available
from marketplace.helpers.models import HelperProfile, HelperStatus, lat_band
from marketplace.payments import booking

KM_PER_DEGREE = EARTH_RADIUS_KM * math.pi / 180
# The database's flat-earth distance check keeps a superset of the exact haversine answer.
PREFILTER_SLACK = 1.01
PREFILTER_SLACK_KM = 0.01
# Windows longer than this are checked for availability in Python only.
MAX_SQL_HOURS = 24

# Above this many latitude bands a box is scanned by latitude alone (huge radii, near the poles).
MAX_BANDS = 400

# Inner search radii (km). Whole numbers so the 1 km ranking buckets line up with box edges.
SEARCH_STEPS_KM = (1, 2, 3, 5, 8, 13, 21, 34, 55, 100)

_COLUMNS = (
    "id",
    "user_id",
    "lat",
    "lng",
    "service_radius_km",
    "rating",
    "last_assigned_epoch",
    "availability_hours",
)


@dataclass(frozen=True)
class Candidate:
    helper_id: int
    user_id: int
    distance_km: float
    rating: float

    @property
    def distance_bucket(self) -> int:
        return int(self.distance_km)


_MATCHABLE = (
    HelperProfile.objects.filter(
        status=HelperStatus.VETTED, is_available=True, active_jobs__lt=F("max_active_jobs")
    )
    .order_by()
    .values_list(*_COLUMNS)
)


def _matchable(*, skill_mask: int, exclude_user_ids) -> QuerySet:
    qs = HelperProfile.objects.filter(
        status=HelperStatus.VETTED, is_available=True, active_jobs__lt=F("max_active_jobs")
    )
    if booking.payouts_required():
        qs = qs.filter(payouts_ready=True)
    if skill_mask:
        qs = qs.alias(skill_hit=F("skills_mask").bitand(skill_mask)).filter(~Q(skill_hit=0))
    if exclude_user_ids:
        qs = qs.exclude(user_id__in=list(exclude_user_ids))
    return qs.order_by()  # ranking happens in Python; no sort in the database


def _matchable_fast(*, exclude_user_ids) -> QuerySet:
    """`_matchable` without the skill test, which the shortlist condition carries instead."""
    qs = _MATCHABLE
    if exclude_user_ids:
        qs = qs.exclude(user_id__in=list(exclude_user_ids))
    return qs


# Compiled SQL per (database, shortlist shape): the ORM builds the statement once, later calls
# only bind new parameters. The shape is the condition's SQL text, which varies only with the
# number of latitude bands and window hours, and whether a skill is asked for.
_COMPILED: dict[tuple[str, str], tuple[str, tuple]] = {}
_COMPILED_MAX = 512


def _shortlist_rows(condition: RawSQL, exclude_user_ids) -> list[tuple]:
    qs = _MATCHABLE.filter(condition)
    if exclude_user_ids:  # rare (re-dispatch): not worth caching
        return list(qs.exclude(user_id__in=list(exclude_user_ids)))
    conn = connections[qs.db]
    key = (conn.alias, condition.sql)
    compiled = _COMPILED.get(key)
    if compiled is None:
        sql, params = qs.query.sql_with_params()
        prefix = tuple(params[: len(params) - len(condition.params)])
        compiled = (sql, prefix)
        if len(_COMPILED) < _COMPILED_MAX:
            _COMPILED[key] = compiled
    sql, prefix = compiled
    params = (*prefix, *condition.params)
    if conn.vendor == "postgresql":
        # A server-side-binding psycopg cursor with a prepared statement: PostgreSQL plans each
        # shape once per connection instead of on every call (Django binds client-side).
        conn.ensure_connection()
        with conn.connection.cursor() as cursor:
            cursor.execute(sql, params, prepare=True)
            return cursor.fetchall()
    with conn.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def shortlist_condition(
    *, lat: float, lng: float, radius_km: float, hours=frozenset(), skill_mask: int = 0
) -> RawSQL:
    """One WHERE fragment for a search step, written as plain SQL so that building it costs
    microseconds, not the ORM's per-filter bookkeeping (matching runs it on every request).

    * the bounding box, as a few (lat_band, lng) range scans on the covering index;
    * a flat-earth distance test against both the search radius and the helper's own radius,
      looser than the exact haversine test `_rank` applies afterwards, so it never drops a match;
    * the skill bit, and availability in any hour of the window (short windows only).
    """
    min_lat, max_lat, min_lng, max_lng = bounding_box(lat, lng, radius_km)
    sql = ["lat BETWEEN %s AND %s AND lng BETWEEN %s AND %s"]
    params: list = [min_lat, max_lat, min_lng, max_lng]
    first, last = lat_band(min_lat), lat_band(max_lat)
    if last - first < MAX_BANDS:
        sql.append(f"lat_band IN ({', '.join(['%s'] * (last - first + 1))})")
        params += range(first, last + 1)
    if booking.payouts_required():  # card payments go to the helper's account
        sql.append("payouts_ready")
    if skill_mask:
        sql.append("(skills_mask & %s) <> 0")
        params.append(skill_mask)
    if 0 < len(hours) <= MAX_SQL_HOURS:
        sql.append(
            "(" + " OR ".join(["SUBSTR(availability_hours, %s, 1) = '1'"] * len(hours)) + ")"
        )
        params += [h + 1 for h in sorted(hours)]
    widest = max(abs(min_lat), abs(max_lat))
    if widest < 89:
        ky = KM_PER_DEGREE
        kx = KM_PER_DEGREE * math.cos(math.radians(widest))  # never overstates east-west
        d2 = "((lat - %s) * %s) * ((lat - %s) * %s) + ((lng - %s) * %s) * ((lng - %s) * %s)"
        d2_params = [lat, ky, lat, ky, lng, kx, lng, kx]
        reach = radius_km * PREFILTER_SLACK + PREFILTER_SLACK_KM
        # CAST: PostgreSQL would otherwise compute integer × numeric literal in slow numeric.
        own = "(CAST(service_radius_km AS DOUBLE PRECISION) * %s + %s)"
        sql.append(f"{d2} <= %s")
        params += [*d2_params, reach * reach]
        sql.append(f"{d2} <= {own} * {own}")
        params += [*d2_params, PREFILTER_SLACK, PREFILTER_SLACK_KM]
        params += [PREFILTER_SLACK, PREFILTER_SLACK_KM]
    return RawSQL(" AND ".join(sql), params, output_field=BooleanField())


def _rank(rows, *, lat: float, lng: float, radius_km: float, hours) -> list[tuple]:
    """Keep rows within both radii and available; return sorted (key, Candidate) pairs."""
    ranked = []
    for hid, uid, hlat, hlng, own_radius, rating, idle_epoch, mask in rows:
        d = haversine_km(lat, lng, hlat, hlng)
        if d > radius_km or d > own_radius:
            continue
        if hours and not is_available(mask, hours):
            continue
        ranked.append(((int(d), -rating, idle_epoch, hid), Candidate(hid, uid, d, rating)))
    ranked.sort(key=lambda pair: pair[0])
    return ranked


def helpers_near(
    *,
    lat: float,
    lng: float,
    skill_mask: int = 0,
    hours: frozenset[int] = frozenset(),
    max_radius_km: float = 25,
    k: int = 3,
    exclude_user_ids=(),
) -> list[Candidate]:
    """The best k matchable helpers around (lat, lng), nearest first."""
    if k <= 0:
        return []
    steps = [s for s in SEARCH_STEPS_KM if s < max_radius_km] + [max_radius_km]
    ranked: list[tuple] = []
    for radius in steps:
        condition = shortlist_condition(
            lat=lat, lng=lng, radius_km=radius, hours=hours, skill_mask=skill_mask
        )
        rows = _shortlist_rows(condition, exclude_user_ids)
        ranked = _rank(rows, lat=lat, lng=lng, radius_km=radius, hours=hours)
        # Anything outside this box is > radius km away, i.e. in bucket >= floor(radius):
        # once the k-th candidate sits in a lower bucket, nothing outside can beat it.
        if len(ranked) >= k and ranked[k - 1][0][0] < math.floor(radius):
            break
    return [candidate for _key, candidate in ranked[:k]]


def helpers_near_naive(
    *,
    lat: float,
    lng: float,
    skill_mask: int = 0,
    hours: frozenset[int] = frozenset(),
    max_radius_km: float = 25,
    k: int = 3,
    exclude_user_ids=(),
) -> list[Candidate]:
    """Reference implementation: scan every matchable helper. Only for tests and benchmarks."""
    if k <= 0:
        return []
    rows = _matchable(skill_mask=skill_mask, exclude_user_ids=exclude_user_ids).values_list(
        *_COLUMNS
    )
    ranked = _rank(rows, lat=lat, lng=lng, radius_km=max_radius_km, hours=hours)
    return [candidate for _key, candidate in ranked[:k]]


def helper_profile_for(user) -> HelperProfile | None:
    try:
        return user.helper_profile
    except HelperProfile.DoesNotExist:
        return None


def applied_helper_profile(user) -> HelperProfile:
    """The helper's own profile, for operations that need one: NotFound before they applied."""
    profile = helper_profile_for(user)
    if profile is None:
        raise NotFound("You have not applied as a helper")
    return profile


def helpers_by_status(*, status: str) -> QuerySet[HelperProfile]:
    return (
        HelperProfile.objects.filter(status=status)
        .select_related("user", "market")
        .order_by("user__full_name", "id")
    )


def vetting_queue() -> QuerySet[HelperProfile]:
    return (
        HelperProfile.objects.filter(status=HelperStatus.APPLIED)
        .select_related("user", "market")
        .prefetch_related("skills__category", "slots")
        .order_by("created_at")
    )


# --- Public profile (what customers see before and after a helper is assigned) -----------------


def public_name(full_name: str) -> str:
    """ "Anna Maria Kowalska" -> "Anna K."; "" -> "" (the caller says "Helper")."""
    parts = (full_name or "").split()
    if not parts:
        return ""
    if len(parts) == 1:
        return parts[0]
    return f"{parts[0]} {parts[-1][0].upper()}."


def helper_public_visible(*, viewer, profile: HelperProfile) -> bool:
    """Operators see every profile, a helper their own; customers only vetted helpers; other
    helpers and anonymous visitors none."""
    if viewer is None or not viewer.is_authenticated:
        return False
    if viewer.is_operator or profile.user_id == viewer.pk:
        return True
    return viewer.is_customer and profile.status == HelperStatus.VETTED
