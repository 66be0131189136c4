"""Matching by distance (DESIGN §4): `helpers_near` must return exactly the top k of the naive
full scan, and both must follow the rules written out independently in `_expected` below."""

import math
import random
from datetime import UTC, datetime, timedelta

import pytest

from marketplace.accounts.models import Role, User
from marketplace.core.geo import haversine_km
from marketplace.helpers.availability import hours_mask, window_hours
from marketplace.helpers.models import HelperProfile, HelperStatus
from marketplace.helpers.selectors import helpers_near, helpers_near_naive
from marketplace.pricing.models import Market, ServiceCategory
from tests.factories import WARSAW, ZURICH, UserFactory, helper_profile

pytestmark = pytest.mark.django_db

KM_PER_DEG_LAT = 111.195
# A Monday, so hour-of-week arithmetic in the tests is easy to follow.
MONDAY = datetime(2030, 1, 7, tzinfo=UTC)


def north_of(point, km):
    return point[0] + km / KM_PER_DEG_LAT, point[1]


def point_at_exact_distance(query, km, rnd):
    """A point whose haversine distance from `query` is exactly `km` (as a float), found by
    bisection on the longitude at random latitudes; such points exist but are not dense."""
    for _ in range(20_000):
        lat = query[0] + (rnd.random() - 0.5) * km / KM_PER_DEG_LAT
        lo, hi = query[1], query[1] + 2 * km / (KM_PER_DEG_LAT * math.cos(math.radians(lat)))
        while True:
            mid = (lo + hi) / 2
            if mid in (lo, hi):
                break
            if haversine_km(query[0], query[1], lat, mid) < km:
                lo = mid
            else:
                hi = mid
        for lng in (lo, hi):
            if haversine_km(query[0], query[1], lat, lng) == km:
                return lat, lng
    raise AssertionError("no exact point found")


def ids(candidates):
    return [c.helper_id for c in candidates]


# --- Rules, one case at a time -------------------------------------------------------------------


def test_ranking_is_distance_bucket_then_rating_then_idle_then_id(reference):
    # Same 1 km bucket (1.1 and 1.6 km): the better rating wins over the nearer helper.
    near_low = helper_profile(lat=north_of(ZURICH, 1.1)[0], rating=4.0)
    far_high = helper_profile(lat=north_of(ZURICH, 1.6)[0], rating=4.8)
    # Same bucket and rating: the longest idle first, then the lower id.
    busy = helper_profile(lat=north_of(ZURICH, 1.3)[0], rating=4.0, last_assigned_epoch=2000)
    idle_a = helper_profile(lat=north_of(ZURICH, 1.4)[0], rating=4.0, last_assigned_epoch=1000)
    idle_b = helper_profile(lat=north_of(ZURICH, 1.2)[0], rating=4.0, last_assigned_epoch=1000)
    # A nearer bucket beats everything above despite the worst rating.
    nearest = helper_profile(lat=north_of(ZURICH, 0.5)[0], rating=1.0)

    found = helpers_near(lat=ZURICH[0], lng=ZURICH[1], k=10)

    assert ids(found) == [
        nearest.pk,
        far_high.pk,
        near_low.pk,  # never assigned (epoch 0): idlest of the 4.0s
        idle_a.pk,  # epoch 1000, lower id than idle_b
        idle_b.pk,
        busy.pk,
    ]
    assert found == helpers_near_naive(lat=ZURICH[0], lng=ZURICH[1], k=10)


def test_helper_exactly_at_own_radius_is_included(reference):
    spot = point_at_exact_distance(ZURICH, 3, random.Random(1))
    assert haversine_km(ZURICH[0], ZURICH[1], *spot) == 3.0
    at_edge = helper_profile(lat=spot[0], lng=spot[1], radius_km=3)

    found = helpers_near(lat=ZURICH[0], lng=ZURICH[1], max_radius_km=10)

    assert ids(found) == [at_edge.pk]
    assert found[0].distance_km == 3.0


def test_helper_at_exactly_the_search_radius_is_included(reference):
    spot = point_at_exact_distance(ZURICH, 5, random.Random(2))
    helper = helper_profile(lat=spot[0], lng=spot[1], radius_km=10)

    assert ids(helpers_near(lat=ZURICH[0], lng=ZURICH[1], max_radius_km=5)) == [helper.pk]
    assert helpers_near(lat=ZURICH[0], lng=ZURICH[1], max_radius_km=4.999) == []


def test_helper_outside_own_radius_but_inside_search_radius_is_excluded(reference):
    helper_profile(lat=north_of(ZURICH, 3.2)[0], radius_km=3)
    willing = helper_profile(lat=north_of(ZURICH, 3.2)[0], radius_km=4)

    assert ids(helpers_near(lat=ZURICH[0], lng=ZURICH[1], max_radius_km=25)) == [willing.pk]


@pytest.mark.parametrize(
    "extra",
    [
        {"status": HelperStatus.APPLIED},
        {"status": HelperStatus.SUSPENDED},
        {"status": HelperStatus.REJECTED},
        {"is_available": False},  # paused by the helper
        {"max_active_jobs": 2, "active_jobs": 2},
        {"skills": []},
        {"slots": [(0, 8, 12)]},  # Monday morning only; the search is Monday afternoon
    ],
    ids=["applied", "suspended", "rejected", "paused", "at-max-load", "no-skill", "unavailable"],
)
def test_unmatchable_helpers_are_excluded(reference, router_wifi, extra):
    left_out = helper_profile(lat=north_of(ZURICH, 0.5)[0], **extra)
    kept = helper_profile(lat=north_of(ZURICH, 1.5)[0])
    hours = window_hours(MONDAY + timedelta(hours=13), MONDAY + timedelta(hours=15), "UTC")

    found = helpers_near(
        lat=ZURICH[0], lng=ZURICH[1], skill_mask=router_wifi.mask, hours=hours, k=5
    )

    assert ids(found) == [kept.pk]
    assert left_out.pk not in ids(
        helpers_near_naive(
            lat=ZURICH[0], lng=ZURICH[1], skill_mask=router_wifi.mask, hours=hours, k=5
        )
    )


def test_helper_with_room_for_one_more_job_is_matched(reference):
    helper = helper_profile(max_active_jobs=2, active_jobs=1)

    assert ids(helpers_near(lat=ZURICH[0], lng=ZURICH[1])) == [helper.pk]


def test_availability_needs_only_one_hour_of_the_window(reference):
    helper = helper_profile(slots=[(0, 14, 15)])  # Monday 14:00–15:00
    hours = window_hours(MONDAY + timedelta(hours=13), MONDAY + timedelta(hours=17), "UTC")
    evening = window_hours(MONDAY + timedelta(hours=18), MONDAY + timedelta(hours=20), "UTC")

    assert ids(helpers_near(lat=ZURICH[0], lng=ZURICH[1], hours=hours)) == [helper.pk]
    assert helpers_near(lat=ZURICH[0], lng=ZURICH[1], hours=evening) == []


def test_excluded_users_are_skipped_and_the_next_best_fills_in(reference):
    first = helper_profile(lat=north_of(ZURICH, 0.2)[0])
    second = helper_profile(lat=north_of(ZURICH, 1.2)[0])
    third = helper_profile(lat=north_of(ZURICH, 2.2)[0])

    found = helpers_near(lat=ZURICH[0], lng=ZURICH[1], k=2, exclude_user_ids={first.user_id})

    assert ids(found) == [second.pk, third.pk]


def test_k_limits_the_result_and_zero_gives_nothing(reference):
    for km in (0.1, 0.2, 0.3, 0.4):
        helper_profile(lat=north_of(ZURICH, km)[0])

    assert len(helpers_near(lat=ZURICH[0], lng=ZURICH[1], k=3)) == 3
    assert helpers_near(lat=ZURICH[0], lng=ZURICH[1], k=0) == []
    assert helpers_near(lat=WARSAW[0], lng=WARSAW[1], k=0) == []  # nobody there either
    assert helpers_near_naive(lat=ZURICH[0], lng=ZURICH[1], k=0) == []


def test_candidate_carries_distance_and_rating(reference):
    helper = helper_profile(lat=north_of(ZURICH, 2.5)[0], rating=4.5)

    (candidate,) = helpers_near(lat=ZURICH[0], lng=ZURICH[1])

    assert candidate.user_id == helper.user_id
    assert candidate.distance_km == pytest.approx(2.5, abs=0.01)
    assert candidate.distance_bucket == 2
    assert candidate.rating == 4.5


# --- Random populations: fast path == naive scan == the rules --------------------------------


def _random_population(rnd, categories, fixed):
    """Bulk-create helpers around Zürich and Warsaw with many ties and every reason to be left
    out, after the `fixed` ones ((lat, lng), radius, rating: vetted, free, all skills, all week).
    Returns the profiles as loaded back from the database, keyed by id."""
    users = User.objects.bulk_create(
        User(email=f"m{i}@example.com", role=Role.HELPER, password="!") for i in range(400)
    )
    market = Market.objects.get(code="ch")
    spots: list[tuple[float, float]] = []
    profiles = []
    for i, user in enumerate(users):
        if i < len(fixed):
            (lat, lng), radius, rating = fixed[i]
            profiles.append(
                HelperProfile(
                    user=user,
                    market=market,
                    lat=lat,
                    lng=lng,
                    service_radius_km=radius,
                    status=HelperStatus.VETTED,
                    skills_mask=sum(c.mask for c in categories),
                    availability_hours=hours_mask([(d, 0, 24) for d in range(7)]),
                    rating=rating,
                )
            )
            continue
        else:
            if spots and rnd.random() < 0.2:
                lat, lng = rnd.choice(spots)  # same place as another helper: equal distances
            else:
                city = ZURICH if rnd.random() < 0.6 else WARSAW
                spread = rnd.choice([0.02, 0.08, 0.25])
                lat = city[0] + rnd.gauss(0, spread)
                lng = city[1] + rnd.gauss(0, spread * 1.5)
                spots.append((lat, lng))
            radius = rnd.choice([1, 2, 3, 5, 8, 10, 15, 25, 40])
        status = rnd.choices(
            [
                HelperStatus.VETTED,
                HelperStatus.APPLIED,
                HelperStatus.SUSPENDED,
                HelperStatus.REJECTED,
            ],
            weights=[85, 5, 5, 5],
        )[0]
        max_jobs = rnd.choice([1, 2, 3])
        slots = rnd.choice(
            [
                [(d, 0, 24) for d in range(7)],
                [(d, 8, 18) for d in range(5)],
                [(d, 17, 22) for d in range(7)],
                [(5, 9, 17), (6, 9, 17)],
                [(rnd.randrange(7), h, h + 2) for h in rnd.sample(range(22), 3)],
            ]
        )
        skills = rnd.sample(categories, rnd.randint(0, len(categories)))
        profiles.append(
            HelperProfile(
                user=user,
                market=market,
                lat=lat,
                lng=lng,
                service_radius_km=radius,
                status=status,
                is_available=rnd.random() < 0.9,
                max_active_jobs=max_jobs,
                active_jobs=rnd.choice([0, 0, max_jobs - 1, max_jobs]),
                skills_mask=sum(c.mask for c in skills),
                availability_hours=hours_mask(slots),
                rating=rnd.choice([3.5, 4.0, 4.0, 4.25, 4.5, 5.0]),
                last_assigned_epoch=rnd.choice([0, 0, 1000, 2000, 3000]),
            )
        )
    HelperProfile.objects.bulk_create(profiles)
    return {
        p.pk: p
        for p in HelperProfile.objects.only(
            "id",
            "user_id",
            "lat",
            "lng",
            "service_radius_km",
            "status",
            "is_available",
            "max_active_jobs",
            "active_jobs",
            "skills_mask",
            "availability_hours",
            "rating",
            "last_assigned_epoch",
        )
    }


def _expected(population, *, lat, lng, skill_mask, hours, max_radius_km, k, exclude_user_ids):
    """DESIGN §4 spelled out over plain Python objects."""
    keep = []
    for p in population.values():
        d = haversine_km(lat, lng, p.lat, p.lng)
        if (
            p.status == HelperStatus.VETTED
            and p.is_available
            and p.active_jobs < p.max_active_jobs
            and (not skill_mask or p.skills_mask & skill_mask)
            and p.user_id not in exclude_user_ids
            and d <= max_radius_km
            and d <= p.service_radius_km
            and (not hours or any(p.availability_hours[h] == "1" for h in hours))
        ):
            keep.append(((math.floor(d), -p.rating, p.last_assigned_epoch, p.pk), p.pk))
    return [pk for _key, pk in sorted(keep)[:k]]


def test_helpers_near_matches_naive_scan_on_random_populations(reference):
    rnd = random.Random(20240611)
    categories = list(ServiceCategory.objects.order_by("bit"))
    # A few query points with a helper exactly at their own radius, which is also exactly one of
    # the search steps (2, 3, 5 km), and a better-rated helper a little further in the same 1 km
    # bucket: the search must not stop at the step's edge.
    # Around Bern, away from the random crowds, so that these helpers are the top candidates.
    edge_queries = [(46.95, 7.45), (46.90, 7.30), (47.05, 7.60)]
    exact_spots = [
        (point_at_exact_distance(q, r, rnd), r)
        for q, r in zip(edge_queries, (2, 3, 5), strict=True)
    ]
    fixed = [(spot, r, 3.5) for spot, r in exact_spots] + [
        (north_of(q, r + 0.4), 25, 5.0) for q, r in zip(edge_queries, (2, 3, 5), strict=True)
    ]
    population = _random_population(rnd, categories, fixed)
    user_ids = [p.user_id for p in population.values()]
    spots = [(p.lat, p.lng) for p in population.values()]

    non_empty = full = ties = 0
    for i in range(250):
        if i < 3 * len(edge_queries):
            lat, lng = edge_queries[i % len(edge_queries)]
        elif rnd.random() < 0.2:
            lat, lng = rnd.choice(spots)  # right on top of a helper: distance 0
        else:
            city = rnd.choice([ZURICH, WARSAW])
            lat = city[0] + rnd.gauss(0, 0.1)
            lng = city[1] + rnd.gauss(0, 0.15)
        if rnd.random() < 0.3:
            hours = frozenset()
        else:
            start = MONDAY + timedelta(hours=rnd.randrange(7 * 24))
            hours = window_hours(start, start + timedelta(hours=rnd.choice([1, 2, 4, 8])), "UTC")
        query = dict(
            lat=lat,
            lng=lng,
            skill_mask=rnd.choice([0, *(c.mask for c in categories)]),
            hours=hours,
            max_radius_km=rnd.choice([0.5, 1, 2, 2.5, 5, 7.5, 10, 25, 40, 100]),
            k=rnd.choice([1, 2, 3, 5, 8, 12]),
            exclude_user_ids=set(rnd.sample(user_ids, rnd.choice([0, 0, 5, 40]))),
        )
        if i < 3 * len(edge_queries):
            k = (1, 2, 400)[i // len(edge_queries)]
            query.update(skill_mask=0, hours=frozenset(), max_radius_km=25, k=k)

        fast = helpers_near(**query)
        naive = helpers_near_naive(**query)

        assert fast == naive, query
        assert ids(fast) == _expected(population, **query), query
        non_empty += bool(fast)
        full += len(fast) == query["k"]
        buckets = [(c.distance_bucket, c.rating) for c in fast]
        ties += len(buckets) != len(set(buckets))

    # The population is only a good test if it exercises the interesting cases.
    assert non_empty > 120 and full > 60 and ties > 10, (non_empty, full, ties)
    for (spot, radius), query in zip(exact_spots, edge_queries, strict=True):
        at_edge = [p for p in population.values() if (p.lat, p.lng) == spot]
        assert haversine_km(*query, *spot) == radius == at_edge[0].service_radius_km


def test_helpers_near_matches_naive_for_dense_ties_at_one_spot(reference):
    """Many helpers at the very same point, with equal ratings: only idle time and id decide."""
    rnd = random.Random(7)
    users = [UserFactory(role=Role.HELPER) for _ in range(12)]
    for user in users:
        helper_profile(
            user=user,
            lat=north_of(ZURICH, 1.5)[0],
            rating=4.0,
            last_assigned_epoch=rnd.choice([0, 100]),
        )

    for k in range(1, 13):
        fast = helpers_near(lat=ZURICH[0], lng=ZURICH[1], k=k)
        assert fast == helpers_near_naive(lat=ZURICH[0], lng=ZURICH[1], k=k)
        keys = [
            (HelperProfile.objects.get(pk=c.helper_id).last_assigned_epoch, c.helper_id)
            for c in fast
        ]
        assert keys == sorted(keys)


def test_helper_exactly_on_a_search_step_does_not_end_the_search_early(reference):
    """Found at exactly 2 km, the first helper is in bucket 2, like anyone up to 3 km away; a
    better-rated helper at 2.4 km must still win."""
    spot = point_at_exact_distance(ZURICH, 2, random.Random(3))
    helper_profile(lat=spot[0], lng=spot[1], rating=3.0)
    better = helper_profile(lat=north_of(ZURICH, 2.4)[0], rating=5.0)

    found = helpers_near(lat=ZURICH[0], lng=ZURICH[1], k=1)

    assert ids(found) == [better.pk]
    assert found == helpers_near_naive(lat=ZURICH[0], lng=ZURICH[1], k=1)
