"""Reads about helpers, above all matching by distance (DESIGN §4).

`helpers_near` searches an expanding bounding box on the partial (lat, lng) index of matchable
helpers, measures haversine distance on that shortlist only, applies each helper's own service
radius, availability and load, and ranks by distance (whole kilometres), then rating, then
fairness (longest idle first). It stops widening as soon as the k-th result is provably better
than anything outside the box, so its answer is identical to `helpers_near_naive`, the full scan
that benchmarks and tests compare it with.
"""

import math
from dataclasses import dataclass

from django.db.models import F, Q, QuerySet

from marketplace.helpers.availability import is_available
from marketplace.helpers.geo import bounding_box, haversine_km
from marketplace.helpers.models import HelperProfile, HelperStatus

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


def _matchable(*, skill_mask: int, exclude_user_ids) -> QuerySet:
    qs = HelperProfile.objects.filter(
        status=HelperStatus.VETTED, is_available=True, active_jobs__lt=F("max_active_jobs")
    )
    if skill_mask:
        qs = qs.alias(skill_hit=F("skills_mask").bitand(skill_mask)).filter(~Q(skill_hit=0))
    if exclude_user_ids:
        qs = qs.exclude(user_id__in=list(exclude_user_ids))
    return qs


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
    base = _matchable(skill_mask=skill_mask, exclude_user_ids=exclude_user_ids).values_list(
        *_COLUMNS
    )
    steps = [s for s in SEARCH_STEPS_KM if s < max_radius_km] + [max_radius_km]
    ranked: list[tuple] = []
    for radius in steps:
        min_lat, max_lat, min_lng, max_lng = bounding_box(lat, lng, radius)
        rows = base.filter(lat__range=(min_lat, max_lat), lng__range=(min_lng, max_lng))
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
