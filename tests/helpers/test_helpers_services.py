"""Helper writes: applying, profile, skills, weekly availability, vetting; availability masks."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from marketplace.accounts.models import Role
from marketplace.core.errors import InvalidTransition, NotAllowed, ValidationFailed
from marketplace.helpers.availability import hours_mask, is_available, window_hours
from marketplace.helpers.models import HelperProfile, HelperSkill, HelperStatus
from marketplace.helpers.selectors import helpers_near
from marketplace.helpers.services import (
    helper_apply,
    helper_record_rating,
    helper_reject,
    helper_set_availability,
    helper_set_skills,
    helper_suspend,
    helper_update_profile,
    helper_vet,
)
from marketplace.pricing.models import ServiceCategory
from tests.factories import ZURICH, UserFactory

ZURICH_TZ = ZoneInfo("Europe/Zurich")


def apply(user, market, **extra):
    """Apply with valid input. Customers here have confirmed that their account becomes a helper
    account; the rule itself is tested in test_helper_apply_rule.py."""
    fields = {
        "lat": ZURICH[0],
        "lng": ZURICH[1],
        "accept_code_of_conduct": True,
        "confirm_role_change": True,
        **extra,
    }
    return helper_apply(user=user, market=market, **fields)


def matched_user_ids():
    return [c.user_id for c in helpers_near(lat=ZURICH[0], lng=ZURICH[1], k=20)]


@pytest.fixture
def applicant(ch, router_wifi):
    user = UserFactory(email="erin@example.com")
    return apply(
        user,
        ch,
        city="Zürich",
        service_radius_km=8,
        skills=[router_wifi],
        slots=[(0, 8, 12), (5, 10, 14)],
    )


# --- Applying ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_applying_creates_a_profile_waiting_for_vetting(applicant, router_wifi):
    applicant.user.refresh_from_db()
    assert applicant.user.role == Role.HELPER
    assert applicant.status == HelperStatus.APPLIED
    assert applicant.code_of_conduct_accepted_at is not None
    assert applicant.skills_mask == router_wifi.mask
    assert list(
        HelperSkill.objects.filter(helper=applicant).values_list("category", flat=True)
    ) == [router_wifi.pk]
    assert applicant.availability_hours == hours_mask([(0, 8, 12), (5, 10, 14)])
    assert applicant.slots.count() == 2
    assert applicant.user_id not in matched_user_ids()


@pytest.mark.django_db
def test_applying_needs_the_code_of_conduct(alice, ch):
    with pytest.raises(ValidationFailed):
        apply(alice, ch, accept_code_of_conduct=False)
    assert not HelperProfile.objects.filter(user=alice).exists()


@pytest.mark.django_db
def test_applying_twice_is_refused(applicant, ch):
    with pytest.raises(InvalidTransition):
        apply(applicant.user, ch)


@pytest.mark.django_db
def test_operators_cannot_apply(olga, ch):
    with pytest.raises(NotAllowed):
        apply(olga, ch)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "extra",
    [
        {"service_radius_km": 0},
        {"service_radius_km": 101},
        {"lat": 91.0},
        {"lng": float("inf")},
        {"bio": "x" * 2001},
        {"slots": [(7, 8, 12)]},
        {"slots": [(0, 12, 12)]},
        {"slots": [(0, 20, 25)]},
    ],
)
def test_invalid_applications_are_refused(alice, ch, extra):
    with pytest.raises(ValidationFailed):
        apply(alice, ch, **extra)
    assert not HelperProfile.objects.filter(user=alice).exists()


# --- Vetting --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_vetting_makes_the_helper_matchable(applicant, olga):
    profile = helper_vet(profile=applicant, actor=olga)

    assert profile.status == HelperStatus.VETTED
    assert profile.vetted_by_id == olga.pk
    assert profile.vetted_at is not None and profile.id_checked_at is not None
    assert applicant.user_id in matched_user_ids()


@pytest.mark.django_db
def test_vetting_needs_an_id_check(applicant, olga):
    with pytest.raises(ValidationFailed):
        helper_vet(profile=applicant, actor=olga, id_checked=False)
    assert HelperProfile.objects.get(pk=applicant.pk).status == HelperStatus.APPLIED


@pytest.mark.django_db
@pytest.mark.parametrize("reason", ["", "Fake ID"])
def test_only_operators_vet_reject_and_suspend(applicant, alice, bob, reason):
    for actor in (alice, bob, applicant.user):
        with pytest.raises(NotAllowed):
            helper_vet(profile=applicant, actor=actor)
        with pytest.raises(NotAllowed):
            helper_reject(profile=applicant, actor=actor, reason=reason)
        with pytest.raises(NotAllowed):
            helper_suspend(profile=applicant, actor=actor, reason=reason)
    assert HelperProfile.objects.get(pk=applicant.pk).status == HelperStatus.APPLIED


@pytest.mark.django_db
def test_reject_and_suspend_need_a_reason(applicant, olga):
    with pytest.raises(ValidationFailed):
        helper_reject(profile=applicant, actor=olga, reason=" ")
    with pytest.raises(ValidationFailed):
        helper_suspend(profile=applicant, actor=olga, reason="")


@pytest.mark.django_db
def test_suspension_stops_matching_and_vetting_reinstates(bob, olga):
    profile = HelperProfile.objects.get(user=bob)

    profile = helper_suspend(profile=profile, actor=olga, reason="Complaint under review")
    assert (profile.status, profile.status_reason) == ("suspended", "Complaint under review")
    assert bob.pk not in matched_user_ids()

    helper_vet(profile=profile, actor=olga)
    assert bob.pk in matched_user_ids()


@pytest.mark.django_db
def test_only_applications_can_be_rejected(bob, olga):
    with pytest.raises(InvalidTransition):
        helper_reject(profile=HelperProfile.objects.get(user=bob), actor=olga, reason="No")


@pytest.mark.django_db
def test_rejected_helpers_cannot_be_suspended(applicant, olga):
    helper_reject(profile=applicant, actor=olga, reason="Fake ID")
    with pytest.raises(InvalidTransition):
        helper_suspend(profile=applicant, actor=olga, reason="Fake ID")


# --- Profile, skills, availability ---------------------------------------------------------


@pytest.mark.django_db
def test_helper_updates_location_radius_and_pause(bob):
    profile = HelperProfile.objects.get(user=bob)

    helper_update_profile(profile=profile, lat=47.5, lng=8.7, service_radius_km=30, bio="Hi")

    fresh = HelperProfile.objects.get(pk=profile.pk)
    assert (fresh.lat, fresh.lng, fresh.service_radius_km, fresh.bio) == (47.5, 8.7, 30, "Hi")

    helper_update_profile(profile=fresh, is_available=False)
    assert bob.pk not in [c.user_id for c in helpers_near(lat=47.5, lng=8.7)]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "fields",
    [{"lat": 47.5}, {"lat": 100.0, "lng": 8.0}, {"service_radius_km": 0}, {"bio": "x" * 2001}],
)
def test_invalid_profile_updates_are_refused(bob, fields):
    with pytest.raises(ValidationFailed):
        helper_update_profile(profile=HelperProfile.objects.get(user=bob), **fields)


@pytest.mark.django_db
def test_profile_update_from_a_stale_copy_keeps_status_load_and_rating(bob, olga):
    stale = HelperProfile.objects.get(user=bob)
    helper_suspend(profile=HelperProfile.objects.get(user=bob), actor=olga, reason="Complaint")
    HelperProfile.objects.filter(user=bob).update(active_jobs=1)
    helper_record_rating(helper_user_id=bob.pk, rating=5)

    helper_update_profile(profile=stale, city="Winterthur")

    fresh = HelperProfile.objects.get(user=bob)
    assert fresh.city == "Winterthur"
    assert (fresh.status, fresh.active_jobs, fresh.rating_count) == ("suspended", 1, 1)


@pytest.mark.django_db
def test_over_long_text_is_clipped_to_the_column(bob):
    profile = helper_update_profile(
        profile=HelperProfile.objects.get(user=bob), city="Z" * 150, languages="de," * 40
    )
    fresh = HelperProfile.objects.get(pk=profile.pk)
    assert (len(fresh.city), len(fresh.languages)) == (100, 64)


@pytest.mark.django_db
def test_setting_skills_replaces_them_and_the_mask(applicant):
    tv, pc = ServiceCategory.objects.filter(slug__in=["tv-decoder", "pc-help"]).order_by("bit")

    helper_set_skills(profile=applicant, categories=[tv, pc])

    assert set(applicant.skills.values_list("category__slug", flat=True)) == {
        "tv-decoder",
        "pc-help",
    }
    assert HelperProfile.objects.get(pk=applicant.pk).skills_mask == tv.mask | pc.mask

    helper_set_skills(profile=applicant, categories=[])
    assert HelperProfile.objects.get(pk=applicant.pk).skills_mask == 0
    assert not applicant.skills.exists()


@pytest.mark.django_db
def test_setting_availability_replaces_slots_and_mask(applicant):
    helper_set_availability(profile=applicant, slots=[(6, 22, 24)])

    fresh = HelperProfile.objects.get(pk=applicant.pk)
    assert fresh.availability_hours == "0" * 166 + "11"
    assert list(fresh.slots.values_list("weekday", "start_hour", "end_hour")) == [(6, 22, 24)]


@pytest.mark.django_db
def test_invalid_availability_keeps_the_old_slots(applicant):
    before = HelperProfile.objects.get(pk=applicant.pk).availability_hours

    with pytest.raises(ValidationFailed):
        helper_set_availability(profile=applicant, slots=[(1, 9, 17), (2, 18, 9)])

    assert HelperProfile.objects.get(pk=applicant.pk).availability_hours == before
    assert applicant.slots.count() == 2


@pytest.mark.django_db
def test_ratings_fold_into_a_bayesian_average(bob):
    for rating in (5, 5, 2):
        helper_record_rating(helper_user_id=bob.pk, rating=rating)

    p = HelperProfile.objects.get(user=bob)
    assert (p.rating_sum, p.rating_count) == (12, 3)
    assert p.rating == pytest.approx((12 + 2 * 4.0) / 5)


# --- Availability masks -------------------------------------------------------------------------


def test_hours_mask_marks_each_hour_of_each_slot():
    mask = hours_mask([(0, 0, 2), (6, 23, 24)])
    assert len(mask) == 168
    assert [i for i, c in enumerate(mask) if c == "1"] == [0, 1, 167]


def test_window_hours_are_local_hours_of_the_week():
    start = datetime(2030, 1, 7, 8, 30, tzinfo=UTC)  # Monday 09:30 in Zürich (CET)
    assert window_hours(start, start + timedelta(hours=2), "Europe/Zurich") == {9, 10, 11}


def test_window_hours_wrap_from_sunday_night_to_monday():
    start = datetime(2030, 1, 13, 23, 0, tzinfo=ZURICH_TZ)  # Sunday 23:00
    assert window_hours(start, start + timedelta(hours=2), "Europe/Zurich") == {167, 0}


def test_window_hours_skip_the_hour_lost_in_spring():
    # Sunday 30 March 2025, 01:00–04:00 local: 02:00 does not exist, the window lasts 2 h.
    start = datetime(2025, 3, 30, 0, 0, tzinfo=UTC)  # 01:00 CET
    end = datetime(2025, 3, 30, 2, 0, tzinfo=UTC)  # 04:00 CEST
    assert window_hours(start, end, "Europe/Zurich") == {6 * 24 + 1, 6 * 24 + 3}


def test_window_hours_cover_the_hour_repeated_in_autumn():
    # Sunday 26 October 2025: 02:00–03:00 local happens twice; a window over it lasts 3 h.
    start = datetime(2025, 10, 25, 23, 0, tzinfo=UTC)  # 01:00 CEST
    end = datetime(2025, 10, 26, 2, 0, tzinfo=UTC)  # 03:00 CET
    assert window_hours(start, end, "Europe/Zurich") == {6 * 24 + 1, 6 * 24 + 2}
    # And the real hour after the repeated one is still part of a longer window.
    assert 6 * 24 + 3 in window_hours(start, end + timedelta(minutes=30), "Europe/Zurich")


def test_window_hours_are_capped_at_one_week():
    start = datetime(2030, 1, 7, tzinfo=UTC)
    assert len(window_hours(start, start + timedelta(days=14), "UTC")) == 168


def test_available_when_any_hour_of_the_window_is_free():
    mask = hours_mask([(0, 10, 11)])
    assert is_available(mask, frozenset({9, 10}))
    assert not is_available(mask, frozenset({9, 11}))
    assert not is_available(mask, frozenset())
