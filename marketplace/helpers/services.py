"""Writes about helpers: applying, profile, skills, availability, vetting."""

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from marketplace.accounts.models import Role, User
from marketplace.accounts.roles import customer_holds
from marketplace.core import geo
from marketplace.core.errors import InvalidTransition, NotAllowed, ValidationFailed
from marketplace.helpers.availability import hours_mask
from marketplace.helpers.models import AvailabilitySlot, HelperProfile, HelperSkill, HelperStatus
from marketplace.notifications import messages as notify
from marketplace.pricing.models import Market, ServiceCategory

MAX_RADIUS_KM = 100
MAX_BIO_LENGTH = 2000
RATING_PRIOR_COUNT = 2
RATING_PRIOR_MEAN = 4.0


def _check_location(*, lat: float, lng: float) -> None:
    try:
        geo.validate_coordinates(lat, lng)
    except geo.GeocodingError as exc:
        raise ValidationFailed(str(exc)) from None


def _check_bio(bio: str) -> None:
    if len(bio) > MAX_BIO_LENGTH:
        raise ValidationFailed(f"The bio can be at most {MAX_BIO_LENGTH} characters")


def _check_radius(radius_km: int) -> None:
    if not 1 <= radius_km <= MAX_RADIUS_KM:
        raise ValidationFailed(f"Service radius must be between 1 and {MAX_RADIUS_KM} km")


ROLE_CHANGE_MESSAGE = (
    "Applying turns this customer account into a helper account, which can no longer post "
    "requests. Confirm the change to go ahead."
)


def _check_customer_may_become_helper(*, user: User, confirmed: bool) -> None:
    for hold in customer_holds(user=user):
        raise InvalidTransition(hold.message, code=hold.code)
    if not confirmed:
        raise ValidationFailed(ROLE_CHANGE_MESSAGE, code="confirm_role_change")


@transaction.atomic
def helper_apply(
    *,
    user: User,
    market: Market,
    lat: float,
    lng: float,
    city: str = "",
    home_address: str = "",
    service_radius_km: int = 10,
    bio: str = "",
    languages: str = "en",
    skills: list[ServiceCategory] | None = None,
    slots: list[tuple[int, int, int]] | None = None,
    accept_code_of_conduct: bool = False,
    confirm_role_change: bool = False,
) -> HelperProfile:
    """A user applies to become a helper; an operator vets the application.

    One account, one role (README, "Roles"). A helper account applies as it is. A customer
    account becomes a helper account for good — it can then no longer post requests — so it
    must say so (`confirm_role_change`), and may not while any of its requests still needs it
    (open, assigned, in progress, awaiting confirmation or disputed): those would be lost to it.
    Operators cannot be helpers.
    """
    if user.is_operator:
        raise NotAllowed("Operators cannot be helpers")
    # Locked so that a request the customer posts at this very moment is either seen below or
    # refused by job_post (which takes the same lock and re-reads the role).
    role = User.objects.select_for_update().filter(pk=user.pk).values_list("role", flat=True).get()
    if HelperProfile.objects.filter(user=user).exists():
        raise InvalidTransition("You have already applied")
    if role == Role.CUSTOMER:
        _check_customer_may_become_helper(user=user, confirmed=confirm_role_change)
    if not accept_code_of_conduct:
        raise ValidationFailed("Please accept the code of conduct")
    _check_location(lat=lat, lng=lng)
    _check_radius(service_radius_km)
    _check_bio(bio)
    profile = HelperProfile.objects.create(
        user=user,
        market=market,
        lat=lat,
        lng=lng,
        city=city[:100],
        home_address=home_address[:300],
        service_radius_km=service_radius_km,
        bio=bio,
        languages=languages[:64] or "en",
        code_of_conduct_accepted_at=timezone.now(),
    )
    if user.role != Role.HELPER:
        user.role = Role.HELPER
        user.save(update_fields=["role"])
    helper_set_skills(profile=profile, categories=skills or [])
    helper_set_availability(profile=profile, slots=slots or [])
    return profile


@transaction.atomic
def helper_update_profile(
    *,
    profile: HelperProfile,
    lat: float | None = None,
    lng: float | None = None,
    city: str | None = None,
    home_address: str | None = None,
    service_radius_km: int | None = None,
    bio: str | None = None,
    languages: str | None = None,
    is_available: bool | None = None,
) -> HelperProfile:
    """Fields a helper may change themselves. Status, vetting and counters are not among them."""
    if (lat is None) != (lng is None):
        raise ValidationFailed("Give both latitude and longitude")
    changed = []
    if lat is not None:
        _check_location(lat=lat, lng=lng)
        profile.lat, profile.lng = lat, lng
        changed += ["lat", "lng"]
    if service_radius_km is not None:
        _check_radius(service_radius_km)
        profile.service_radius_km = service_radius_km
        changed.append("service_radius_km")
    if bio is not None:
        _check_bio(bio)
    # Same clipping as helper_apply, so PostgreSQL never sees an over-long varchar.
    for name, value in (
        ("city", None if city is None else city[:100]),
        ("home_address", None if home_address is None else home_address[:300]),
        ("bio", bio),
        ("languages", None if languages is None else languages[:64] or "en"),
        ("is_available", is_available),
    ):
        if value is not None:
            setattr(profile, name, value)
            changed.append(name)
    # Only the fields given: a full save() would write back this copy's status, load and rating
    # over a suspension, an acceptance or a review that happened since it was read.
    if changed:
        profile.save(update_fields=changed)
    return profile


@transaction.atomic
def helper_set_skills(*, profile: HelperProfile, categories: list[ServiceCategory]) -> None:
    wanted = {c.pk: c for c in categories}
    HelperSkill.objects.filter(helper=profile).exclude(category_id__in=wanted).delete()
    existing = set(HelperSkill.objects.filter(helper=profile).values_list("category_id", flat=True))
    HelperSkill.objects.bulk_create(
        [HelperSkill(helper=profile, category=c) for pk, c in wanted.items() if pk not in existing]
    )
    mask = 0
    for category in wanted.values():
        mask |= category.mask
    HelperProfile.objects.filter(pk=profile.pk).update(skills_mask=mask)
    profile.skills_mask = mask


@transaction.atomic
def helper_set_availability(*, profile: HelperProfile, slots: list[tuple[int, int, int]]) -> None:
    """Replace the weekly availability: (weekday 0=Monday, start_hour, end_hour) in local time."""
    clean = []
    for weekday, start, end in slots:
        if not (0 <= weekday <= 6 and 0 <= start < end <= 24):
            raise ValidationFailed(
                f"Invalid availability slot ({weekday}, {start}, {end}): weekday 0–6, "
                "hours 0–24 with start before end"
            )
        clean.append((weekday, start, end))
    AvailabilitySlot.objects.filter(helper=profile).delete()
    AvailabilitySlot.objects.bulk_create(
        [AvailabilitySlot(helper=profile, weekday=w, start_hour=s, end_hour=e) for w, s, e in clean]
    )
    mask = hours_mask(clean)
    HelperProfile.objects.filter(pk=profile.pk).update(availability_hours=mask)
    profile.availability_hours = mask


def _require_operator(actor: User) -> None:
    if not (actor and actor.is_operator):
        raise NotAllowed("Only operators can vet helpers")


def _change_status(
    *, profile: HelperProfile, actor: User, to: str, allowed_from: tuple, reason: str = ""
) -> HelperProfile:
    _require_operator(actor)
    updated = HelperProfile.objects.filter(pk=profile.pk, status__in=allowed_from).update(
        status=to, status_reason=reason[:300]
    )
    if not updated:
        raise InvalidTransition(
            f"Helper is {profile.get_status_display().lower()}; cannot change to {to}"
        )
    profile.refresh_from_db()
    return profile


@transaction.atomic
def helper_vet(*, profile: HelperProfile, actor: User, id_checked: bool = True) -> HelperProfile:
    """Approve an application (or reinstate a suspended helper). The ID check is mandatory."""
    _require_operator(actor)
    if not id_checked and profile.id_checked_at is None:
        raise ValidationFailed("Check the helper's ID before vetting")
    if profile.code_of_conduct_accepted_at is None:
        raise ValidationFailed("The helper has not accepted the code of conduct")
    profile = _change_status(
        profile=profile,
        actor=actor,
        to=HelperStatus.VETTED,
        allowed_from=(HelperStatus.APPLIED, HelperStatus.SUSPENDED, HelperStatus.REJECTED),
    )
    now = timezone.now()
    HelperProfile.objects.filter(pk=profile.pk).update(
        vetted_at=now, vetted_by=actor, id_checked_at=profile.id_checked_at or now
    )
    profile.refresh_from_db()
    notify.vetting_result(profile=profile)
    return profile


@transaction.atomic
def helper_reject(*, profile: HelperProfile, actor: User, reason: str) -> HelperProfile:
    _require_operator(actor)
    if not (reason or "").strip():
        raise ValidationFailed("Give a reason")
    profile = _change_status(
        profile=profile,
        actor=actor,
        to=HelperStatus.REJECTED,
        allowed_from=(HelperStatus.APPLIED,),
        reason=reason,
    )
    notify.vetting_result(profile=profile)
    return profile


@transaction.atomic
def helper_suspend(*, profile: HelperProfile, actor: User, reason: str) -> HelperProfile:
    """Suspended helpers get no offers and cannot accept; jobs they hold stay theirs. Every
    session of theirs ends and their API tokens are revoked (they may log in again to read why)."""
    from marketplace.accounts.sessions import user_end_all_sessions

    _require_operator(actor)
    if not (reason or "").strip():
        raise ValidationFailed("Give a reason")
    with transaction.atomic():
        profile = _change_status(
            profile=profile,
            actor=actor,
            to=HelperStatus.SUSPENDED,
            allowed_from=(HelperStatus.VETTED, HelperStatus.APPLIED),
            reason=reason,
        )
        user_end_all_sessions(user=profile.user)
    return profile


def helper_record_rating(*, helper_user_id: int, rating: int) -> None:
    """Fold a new review into the helper's Bayesian average, atomically in SQL."""
    HelperProfile.objects.filter(user_id=helper_user_id).update(
        rating_sum=F("rating_sum") + rating, rating_count=F("rating_count") + 1
    )
    profile = (
        HelperProfile.objects.filter(user_id=helper_user_id)
        .only("rating_sum", "rating_count")
        .first()
    )
    if profile is not None:
        mean = (profile.rating_sum + RATING_PRIOR_MEAN * RATING_PRIOR_COUNT) / (
            profile.rating_count + RATING_PRIOR_COUNT
        )
        HelperProfile.objects.filter(pk=profile.pk).update(rating=round(mean, 4))


def helper_payouts_ready_set(*, user_id: int, ready: bool) -> None:
    """Payments learnt whether this helper's payout account can be paid; matching and
    acceptance read the mirror (`HelperProfile.payouts_ready`)."""
    HelperProfile.objects.filter(user_id=user_id).update(payouts_ready=ready)


def helper_home_locate(*, address: str, lat, lng, country: str | None) -> geo.Place:
    """Where a helper lives: browser coordinates win (the town is looked up); otherwise the
    address is geocoded within the market's `country`. ValidationFailed (geocoding_failed)
    with a message for people when neither works."""
    try:
        if lat is not None and lng is not None:
            place = geo.reverse(lat, lng)
            return geo.Place(
                lat=lat,
                lng=lng,
                city=place.city if place else "",
                country=place.country if place else "",
                display=address,
            )
        return geo.geocode(address, country_codes=[country] if country else None)
    except geo.GeocodingError as exc:
        raise ValidationFailed(str(exc), code="geocoding_failed") from None
