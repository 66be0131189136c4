"""Writes on jobs: posting, acceptance and the rest of the lifecycle (DESIGN §3).

Every function is keyword-only and atomic, checks who is acting, and changes state through
`transition()` so that the change is conditional and audited.
"""

from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from marketplace.accounts.models import Role, User
from marketplace.core import geo
from marketplace.core.errors import InvalidTransition, NotAllowed, ValidationFailed
from marketplace.helpers.models import HelperProfile, HelperStatus
from marketplace.helpers.services import helper_record_rating
from marketplace.jobs import selectors
from marketplace.jobs.dispatch import job_dispatch, withdraw_pending_offers
from marketplace.jobs.models import (
    ASSIGNED,
    OFFERABLE,
    Fulfilment,
    JobOffer,
    JobRequest,
    JobStatus,
    LocationPrecision,
    OfferStatus,
    Review,
    ReviewDirection,
)
from marketplace.jobs.transitions import record_event, transition
from marketplace.notifications import messages as notify
from marketplace.payments import booking
from marketplace.pricing.models import Market, ServiceCategory
from marketplace.pricing.services import Quote, quote

FULL_MESSAGE = "You already have as many active jobs as you can take"
DEFAULT_WINDOW = timedelta(hours=4)
MAX_WINDOW = timedelta(days=14)
MAX_LEAD_TIME = timedelta(days=60)


@dataclass(frozen=True)
class Location:
    lat: float
    lng: float
    city: str
    country: str
    address: str
    precision: str = LocationPrecision.TOWN


def resolve_location(
    *, address: str = "", lat: float | None = None, lng: float | None = None
) -> Location:
    """Coordinates from the browser win (device GPS precision); otherwise the address is
    geocoded: the offline gazetteer gives a town centre, a full geocoder (Nominatim) a street
    address when it found one, and its point is used as it is. Countries with an active market
    win ties offline: same-named towns (Baden CH or AT), a point just across a border."""
    address = (address or "").strip()
    served = list(Market.objects.filter(is_active=True).values_list("country", flat=True))
    try:
        if lat is not None or lng is not None:
            if lat is None or lng is None:
                raise ValidationFailed("Give both latitude and longitude")
            geo.validate_coordinates(lat, lng)
            place = geo.reverse(lat, lng, prefer_countries=served)
            return Location(
                lat=lat,
                lng=lng,
                city=place.city if place else "",
                country=place.country if place else "",
                address=address,
                precision=LocationPrecision.DEVICE,
            )
        if not address:
            raise ValidationFailed("Give an address or use your location")
        place = geo.geocode(address, prefer_countries=served)
    except geo.GeocodingError as exc:
        raise ValidationFailed(str(exc), code="geocoding_failed") from None
    precision = (
        place.precision if place.precision in LocationPrecision.values else LocationPrecision.TOWN
    )
    return Location(
        lat=place.lat,
        lng=place.lng,
        city=place.city,
        country=place.country,
        address=address,
        precision=precision,
    )


def market_for_country(country: str) -> Market:
    market = Market.objects.filter(country=country.upper(), is_active=True).first()
    if market is None:
        raise ValidationFailed(
            "Fieldfriends does not operate at this address yet", code="no_market"
        )
    return market


class WallClockTime(datetime):
    """A date and time a customer typed without a time zone (the request form's datetime-local
    fields): `job_post` reads it on the clock of the market the address is in, not in
    settings.TIME_ZONE. A plain naive datetime is still refused: API clients send an offset."""

    @classmethod
    def of(cls, value: datetime) -> "WallClockTime":
        return cls(
            value.year,
            value.month,
            value.day,
            value.hour,
            value.minute,
            value.second,
            value.microsecond,
            fold=value.fold,
        )


def _in_market_zone(value: datetime | None, market: Market) -> datetime | None:
    """A WallClockTime made aware in the market's time zone; other values are kept as they are.
    A time that does not exist or is ambiguous there (a clock change) is refused."""
    if not isinstance(value, WallClockTime) or timezone.is_aware(value):
        return value
    zone = ZoneInfo(market.time_zone)
    local = datetime(*value.timetuple()[:6], value.microsecond, tzinfo=zone)
    if local.replace(fold=0).utcoffset() != local.replace(fold=1).utcoffset():
        raise ValidationFailed(
            f"{value:%Y-%m-%d %H:%M} does not exist or is ambiguous in {market.time_zone} "
            "(a clock change); choose another time"
        )
    return local


def _window(start: datetime | None, end: datetime | None, now: datetime):
    start = start or now
    end = end or start + DEFAULT_WINDOW
    if timezone.is_naive(start) or timezone.is_naive(end):
        raise ValidationFailed("Times need a time zone offset")
    if end <= start:
        raise ValidationFailed("The time window must end after it starts")
    if end <= now:
        raise ValidationFailed("The time window is in the past")
    if end - start > MAX_WINDOW:
        raise ValidationFailed("The time window can be at most 14 days long")
    if start - now > MAX_LEAD_TIME:
        raise ValidationFailed("Requests can be posted at most 60 days ahead")
    return max(start, now - timedelta(minutes=5)), end


def quote_at(
    *,
    category: ServiceCategory,
    address: str = "",
    lat: float | None = None,
    lng: float | None = None,
) -> Quote:
    """The quote a customer would get for this category at this place (market by country), as
    shown before they choose between a helper and a professional."""
    place = resolve_location(address=address, lat=lat, lng=lng)
    return quote(market=market_for_country(place.country), category=category)


@transaction.atomic
def job_post(
    *,
    customer: User,
    category: ServiceCategory,
    description: str,
    address: str = "",
    lat: float | None = None,
    lng: float | None = None,
    window_start: datetime | None = None,
    window_end: datetime | None = None,
    contact_phone: str = "",
    fulfilment: str = Fulfilment.HELPER,
    now: datetime | None = None,
) -> JobRequest:
    """A customer asks for help. The quote is fixed now and stored on the job, with the customer's
    choice between a community helper (dispatch starts at once) and a professional technician
    (handed over to the provider at once)."""
    now = now or timezone.now()
    if fulfilment not in Fulfilment.values:
        raise ValidationFailed("Choose a community helper or a professional technician")
    if not customer.is_customer:
        raise NotAllowed("Only customers can post requests")
    if not category.is_active:
        raise ValidationFailed("This category is not available")
    description = (description or "").strip()
    if len(description) < 10:
        raise ValidationFailed("Describe the problem in at least 10 characters")
    if len(description) > 4000:
        raise ValidationFailed("The description can be at most 4000 characters")
    # Times typed on the wall clock need the market's time zone, known once the address is
    # resolved; others are checked before that.
    if not any(isinstance(t, WallClockTime) for t in (window_start, window_end)):
        _window(window_start, window_end, now)
    place = resolve_location(address=address, lat=lat, lng=lng)
    market = market_for_country(place.country)
    start, end = _window(
        _in_market_zone(window_start, market), _in_market_zone(window_end, market), now
    )
    q = quote(market=market, category=category)
    approx_lat, approx_lng = geo.approx_point(place.lat, place.lng)
    # The role again, from the locked row: an application turning this account into a helper
    # account at this very moment (helper_apply takes the same lock) either sees this request
    # and is refused, or has finished and this request is refused.
    if not User.objects.select_for_update().filter(pk=customer.pk, role=Role.CUSTOMER).exists():
        raise NotAllowed("Only customers can post requests")
    job = JobRequest.objects.create(
        customer=customer,
        market=market,
        category=category,
        description=description,
        address=place.address[:300],
        city=place.city[:100],
        contact_phone=(contact_phone or customer.phone)[:32],
        lat=place.lat,
        lng=place.lng,
        approx_lat=approx_lat,
        approx_lng=approx_lng,
        location_precision=place.precision,
        window_start=start,
        window_end=end,
        currency=q.currency,
        price=q.helper_price,
        platform_fee=q.platform_fee,
        helper_payout=q.helper_payout,
        professional_price=q.professional_price,
        professional_list_price=q.professional_list_price,
        professional_install_free=q.professional_install_free,
        choice=fulfilment,
        created_at=now,
    )
    record_event(
        job=job,
        kind="posted",
        actor=customer,
        to_status=JobStatus.OPEN,
        data={
            "price": q.helper_price,
            "professional_price": q.professional_price,
            "professional_list_price": q.professional_list_price,
            "professional_install_free": q.professional_install_free,
            "choice": fulfilment,
        },
    )
    if fulfilment == Fulfilment.PROFESSIONAL:
        return _book_professional(job=job, actor=customer, source="posting", now=now)
    job_dispatch(job=job, now=now)
    job.refresh_from_db()
    return job


def _book_professional(
    *, job: JobRequest, actor: User, source: str, now: datetime, **window
) -> JobRequest:
    job = transition(
        job=job,
        to=JobStatus.PROFESSIONAL,
        allowed_from=(*OFFERABLE, JobStatus.EXPIRED),
        kind="professional_booked",
        actor=actor,
        message="A professional visit can be booked only while no helper has taken the job",
        data={
            "source": source,
            "professional_price": job.professional_price,
            "professional_list_price": job.professional_list_price,
            "professional_install_free": job.professional_install_free,
        },
        fulfilment=Fulfilment.PROFESSIONAL,
        closed_at=now,
        **window,
    )
    withdraw_pending_offers(job=job, now=now)
    return job


@transaction.atomic
def job_book_professional(
    *,
    job: JobRequest,
    customer: User,
    window_start: datetime | None = None,
    window_end: datetime | None = None,
    now: datetime | None = None,
) -> JobRequest:
    """One click from the customer: a professional technician instead of a helper, at the price
    quoted at booking. The professional fallback when no helper accepted in time (the job
    expired), or the customer's own switch while helpers are still being asked.

    A technician cannot come in a window that is over: when the job's window has passed, a new
    one is required (checked like a new request's: in the market's time zone, not in the
    past); a new window may also be given while the old one still holds."""
    if job.customer_id != customer.pk:
        raise NotAllowed("Only the customer who posted the request can book a professional")
    now = now or timezone.now()
    window = {}
    if window_start is not None or window_end is not None:
        start, end = _window(
            _in_market_zone(window_start, job.market), _in_market_zone(window_end, job.market), now
        )
        window = {"window_start": start, "window_end": end}
    elif job.window_end <= now:
        raise ValidationFailed(
            "The time you asked for is over: choose a new time window for the professional visit",
            code="window_in_past",
        )
    source = "fallback" if job.status == JobStatus.EXPIRED else "customer_switch"
    return _book_professional(job=job, actor=customer, source=source, now=now, **window)


def _helper_profile(user: User) -> HelperProfile:
    profile = HelperProfile.objects.filter(user=user).first()
    if profile is None or not user.is_helper:
        raise NotAllowed("Only helpers can do this")
    return profile


def check_can_take(*, job: JobRequest, profile: HelperProfile) -> float:
    """Raise unless this helper may take this job; return the distance in km."""
    if profile.status != HelperStatus.VETTED:
        raise NotAllowed("Only vetted helpers can accept jobs")
    if job.customer_id == profile.user_id:
        raise NotAllowed("You cannot accept your own request")
    if not profile.has_skill(job.category):
        raise NotAllowed("This job needs a skill you have not listed")
    if booking.payouts_required() and not profile.payouts_ready:
        raise NotAllowed("Set up your payout account before accepting paid jobs")
    distance = geo.haversine_km(profile.lat, profile.lng, job.lat, job.lng)
    if distance > profile.service_radius_km:
        raise NotAllowed("This job is outside your service radius")
    return distance


@transaction.atomic
def job_accept(*, job: JobRequest, helper: User, now: datetime | None = None) -> JobRequest:
    """First valid acceptance wins: the job row is updated only while it is still offerable."""
    now = now or timezone.now()
    profile = _helper_profile(helper)
    distance = check_can_take(job=job, profile=profile)
    if not profile.has_capacity:
        # Checked again atomically below; refusing here first keeps the caller's `job` untouched.
        raise InvalidTransition(FULL_MESSAGE)
    try:
        job = transition(
            job=job,
            to=JobStatus.ACCEPTED,
            allowed_from=OFFERABLE,
            kind="accepted",
            actor=helper,
            data={"helper_id": helper.pk, "distance_km": round(distance, 2)},
            assigned_helper=helper,
            accepted_at=now,
        )
    except InvalidTransition:
        # Too late: say why from the row as it is now (taken by someone else, by this helper on
        # a double click, or closed), not from the caller's possibly stale copy.
        current = JobRequest.objects.filter(pk=job.pk).first() or job
        raise InvalidTransition(
            selectors.accept_refused_message(job=current, helper=helper)
        ) from None
    took_load = HelperProfile.objects.filter(
        pk=profile.pk, status=HelperStatus.VETTED, active_jobs__lt=F("max_active_jobs")
    ).update(active_jobs=F("active_jobs") + 1, last_assigned_epoch=int(now.timestamp()))
    if not took_load:
        raise InvalidTransition(FULL_MESSAGE)  # rolls the acceptance back: the job stays open
    offer, created = JobOffer.objects.get_or_create(
        job=job,
        helper=helper,
        defaults={
            "status": OfferStatus.ACCEPTED,
            "distance_km": distance,
            "step": job.dispatch_step,
            "expires_at": now,
            "responded_at": now,
        },
    )
    if not created:
        JobOffer.objects.filter(pk=offer.pk).update(status=OfferStatus.ACCEPTED, responded_at=now)
    withdraw_pending_offers(job=job, now=now)
    booking.book(job=job, now=now)
    notify.job_accepted(job=job)
    return job


@transaction.atomic
def offer_decline(*, offer: JobOffer, helper: User, now: datetime | None = None) -> JobOffer:
    now = now or timezone.now()
    if offer.helper_id != helper.pk:
        raise NotAllowed("This offer is not yours")
    # Lock the job first: of two helpers declining the last two pending offers at once, the
    # second must see the first's decline, or nobody would advance to the next radius step.
    job = JobRequest.objects.select_for_update().get(pk=offer.job_id)
    updated = JobOffer.objects.filter(pk=offer.pk, status=OfferStatus.PENDING).update(
        status=OfferStatus.DECLINED, responded_at=now
    )
    if not updated:
        raise InvalidTransition("This offer is no longer open")
    offer.refresh_from_db()
    record_event(job=job, kind="offer_declined", actor=helper, data={"helper_id": helper.pk})
    if not job.offers.filter(status=OfferStatus.PENDING).exists():
        job_dispatch(job=job, now=now, advance=True)
    return offer


def _assigned(job: JobRequest, helper: User) -> None:
    if job.assigned_helper_id != helper.pk:
        raise NotAllowed("You are not the helper on this job")


@transaction.atomic
def job_check_in(*, job: JobRequest, helper: User, now: datetime | None = None) -> JobRequest:
    _assigned(job, helper)
    if not booking.ready(job=job):
        raise InvalidTransition("The customer has not paid yet; check in once the payment is done")
    return transition(
        job=job,
        to=JobStatus.IN_PROGRESS,
        allowed_from=(JobStatus.ACCEPTED,),
        kind="checked_in",
        actor=helper,
        where={"assigned_helper_id": helper.pk},
        started_at=now or timezone.now(),
    )


@transaction.atomic
def job_on_the_way(*, job: JobRequest, helper: User, now: datetime | None = None) -> JobRequest:
    """The assigned helper tells the customer they set off. No status change: a JobEvent
    "on_the_way" and a notification, once per acceptance (pressing it again changes nothing)."""
    _assigned(job, helper)
    job = JobRequest.objects.select_for_update().get(pk=job.pk)  # one event even if pressed twice
    if job.status != JobStatus.ACCEPTED or job.assigned_helper_id != helper.pk:
        raise InvalidTransition("You can say you are on the way only before checking in")
    if job.events.filter(kind="on_the_way", actor=helper, created_at__gte=job.accepted_at).exists():
        return job
    at = (now or timezone.now()).isoformat()
    record_event(job=job, kind="on_the_way", actor=helper, data={"at": at})
    notify.helper_on_the_way(job=job)
    return job


@transaction.atomic
def job_complete(
    *, job: JobRequest, helper: User, note: str = "", now: datetime | None = None
) -> JobRequest:
    _assigned(job, helper)
    if len(note) > 4000:
        raise ValidationFailed("The note can be at most 4000 characters")
    job = transition(
        job=job,
        to=JobStatus.COMPLETED,
        allowed_from=(JobStatus.IN_PROGRESS,),
        kind="completed",
        actor=helper,
        where={"assigned_helper_id": helper.pk},
        completion_note=note.strip(),
        completed_at=now or timezone.now(),
    )
    HelperProfile.objects.filter(user=helper, active_jobs__gt=0).update(
        active_jobs=F("active_jobs") - 1, completed_jobs=F("completed_jobs") + 1
    )
    notify.job_completed(job=job)
    return job


@transaction.atomic
def job_confirm(*, job: JobRequest, actor: User | None, now: datetime | None = None) -> JobRequest:
    """The customer confirms the work (actor None: automatic confirmation after the delay)."""
    if actor is not None and actor.pk != job.customer_id:
        raise NotAllowed("Only the customer can confirm this job")
    job = transition(
        job=job,
        to=JobStatus.CONFIRMED,
        allowed_from=(JobStatus.COMPLETED,),
        kind="confirmed" if actor else "auto_confirmed",
        actor=actor,
        closed_at=now or timezone.now(),
    )
    _payment_follows(job)
    notify.review_request(job=job)
    return job


@dataclass(frozen=True)
class CancellationPolicy:
    """The market's cancellation rule as it applies to one job."""

    fee: int  # what cancelling costs after the free period (the market's fee, at most the price)
    free_minutes: int  # the free period after a helper accepts
    free_until: datetime | None  # when it ends, if a helper has accepted and it is still running


def cancellation_policy(*, job: JobRequest, now: datetime) -> CancellationPolicy:
    """Cancelling is free until a helper has accepted plus the market's grace period; then it
    costs the market's fee, never more than the price."""
    market = job.market
    fee = min(market.cancellation_fee, job.price)
    free_until = None
    if job.accepted_at is not None and fee:
        deadline = job.accepted_at + timedelta(minutes=market.cancellation_free_minutes)
        if now <= deadline:
            free_until = deadline
    return CancellationPolicy(
        fee=fee, free_minutes=market.cancellation_free_minutes, free_until=free_until
    )


def cancellation_fee_for(*, job: JobRequest, now: datetime) -> int:
    """What the customer pays for cancelling now (`cancellation_policy`)."""
    if job.status not in ASSIGNED or job.accepted_at is None:
        return 0
    policy = cancellation_policy(job=job, now=now)
    return 0 if policy.free_until is not None else policy.fee


@transaction.atomic
def job_cancel(
    *, job: JobRequest, actor: User, reason: str, now: datetime | None = None
) -> JobRequest:
    now = now or timezone.now()
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("Say why you cancel")
    if actor.is_operator:
        by, allowed = "operator", (*OFFERABLE, JobStatus.ACCEPTED, JobStatus.IN_PROGRESS)
    elif actor.pk == job.customer_id:
        by, allowed = "customer", (*OFFERABLE, JobStatus.ACCEPTED)
    else:
        raise NotAllowed("Only the customer or an operator can cancel this job")
    # Fee and helper come from the row as it is now, not from the caller's copy: a helper may
    # have accepted since it was read (their load must be given back, the grace period applies).
    job = JobRequest.objects.select_for_update().select_related("market").get(pk=job.pk)
    fee = cancellation_fee_for(job=job, now=now) if by == "customer" else 0
    helper_id = job.assigned_helper_id
    job = transition(
        job=job,
        to=JobStatus.CANCELLED,
        allowed_from=allowed,
        kind="cancelled",
        actor=actor,
        data={"by": by, "reason": reason[:500], "fee": fee},
        cancelled_by=by,
        cancel_reason=reason[:500],
        cancellation_fee=fee,
        closed_at=now,
    )
    withdraw_pending_offers(job=job, now=now)
    if helper_id:
        HelperProfile.objects.filter(user_id=helper_id, active_jobs__gt=0).update(
            active_jobs=F("active_jobs") - 1
        )
    _payment_follows(job)
    return job


@transaction.atomic
def job_release(
    *, job: JobRequest, helper: User, reason: str, now: datetime | None = None
) -> JobRequest:
    """The assigned helper backs out before starting: the job goes back to matching."""
    now = now or timezone.now()
    _assigned(job, helper)
    if not (reason or "").strip():
        raise ValidationFailed("Say why you release the job")
    job = transition(
        job=job,
        to=JobStatus.OPEN,
        allowed_from=(JobStatus.ACCEPTED,),
        kind="released",
        actor=helper,
        where={"assigned_helper_id": helper.pk},
        data={"reason": reason.strip()[:500]},
        assigned_helper=None,
        accepted_at=None,
    )
    # Declined, not withdrawn: dispatch offers the job again to helpers whose offers were only
    # withdrawn when this helper accepted, but not to the one who backed out.
    JobOffer.objects.filter(job=job, helper=helper).update(
        status=OfferStatus.DECLINED, responded_at=now
    )
    HelperProfile.objects.filter(user=helper, active_jobs__gt=0).update(
        active_jobs=F("active_jobs") - 1
    )
    _payment_follows(job)
    job_dispatch(job=job, now=now)
    return job


def _payment_follows(job: JobRequest) -> None:
    """Settle the payment once the job's change is committed: provider calls never run inside
    the job's transaction. If the process dies first, the periodic reconciliation does it."""
    job_id = job.pk
    transaction.on_commit(
        lambda: booking.follow(job=JobRequest.objects.get(pk=job_id)), robust=True
    )


@transaction.atomic
def review_create(
    *, job: JobRequest, author: User, rating: int, comment: str = "", nps: int | None = None
) -> Review:
    if job.status != JobStatus.CONFIRMED:
        raise InvalidTransition("Reviews open once the job is confirmed")
    if not 1 <= rating <= 5:
        raise ValidationFailed("Rating must be between 1 and 5")
    if author.pk == job.customer_id:
        direction, subject_id = ReviewDirection.OF_HELPER, job.assigned_helper_id
        if nps is not None and not 0 <= nps <= 10:
            raise ValidationFailed("The recommendation score must be between 0 and 10")
    elif author.pk == job.assigned_helper_id:
        direction, subject_id = ReviewDirection.OF_CUSTOMER, job.customer_id
        if nps is not None:
            raise ValidationFailed("Only customers answer the recommendation question")
    else:
        raise NotAllowed("Only the customer and the helper of this job can review it")
    if subject_id is None:
        raise InvalidTransition("There is no helper to review on this job")
    try:
        with transaction.atomic():
            review = Review.objects.create(
                job=job,
                author=author,
                subject_id=subject_id,
                direction=direction,
                rating=rating,
                comment=(comment or "").strip()[:2000],
                nps=nps,
            )
    except IntegrityError:
        raise InvalidTransition("You have already reviewed this job") from None
    if direction == ReviewDirection.OF_HELPER:
        helper_record_rating(helper_user_id=subject_id, rating=rating)
    record_event(
        job=job,
        kind="reviewed",
        actor=author,
        data={"direction": direction, "rating": rating, "nps": nps},
    )
    return review


def jobs_auto_confirm_due(*, now: datetime | None = None) -> int:
    """Confirm every job completed more than AUTO_CONFIRM_HOURS ago that its customer has not
    confirmed or disputed (the periodic task). Returns how many."""
    now = now or timezone.now()
    cutoff = now - timedelta(hours=settings.AUTO_CONFIRM_HOURS)
    count = 0
    for job in JobRequest.objects.filter(status=JobStatus.COMPLETED, completed_at__lte=cutoff):
        with suppress(InvalidTransition):  # confirmed or disputed in the meantime
            job_confirm(job=job, actor=None, now=now)
            count += 1
    return count


def job_event_record(*, job: JobRequest, kind: str, data: dict | None = None, actor=None) -> None:
    """Note on the job's history something another part of the site saw happen to it without
    changing its status (payments: the customer disputed the charge with their bank)."""
    record_event(job=job, kind=kind, actor=actor, data=data)
