"""Reads on jobs, with the visibility and privacy rules in one place.

Who sees a job: its customer, operators, the assigned helper, helpers it was offered to, and
vetted helpers for whom it is an open job in range (the nearby feed). Exact address and phone:
the customer, operators, and the assigned helper only while the job is not closed.

A helper who comes too late to accept (someone else was faster, or the job closed) but knew of the
job — they had an offer for it, or it would have been in their feed — is told so with a 409 and
nothing more (`job_for_acceptance`); everyone else still gets "Job not found".
"""

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet, Sum

from marketplace.accounts.models import User
from marketplace.accounts.roles import Hold
from marketplace.core import geo
from marketplace.core.errors import InvalidTransition, NotFound
from marketplace.core.money import share_half_up
from marketplace.helpers.models import HelperProfile, HelperStatus
from marketplace.jobs.models import (
    ASSIGNED,
    CLOSED,
    OFFERABLE,
    JobEvent,
    JobOffer,
    JobRequest,
    OfferStatus,
    Review,
)
from marketplace.pricing.models import Market

FEED_LIMIT = 50


def _base() -> QuerySet[JobRequest]:
    return JobRequest.objects.select_related("category", "market", "assigned_helper", "customer")


def jobs_for_customer(*, user: User) -> QuerySet[JobRequest]:
    return _base().filter(customer=user)


def customer_jobs_not_closed(*, user: User) -> QuerySet[JobRequest]:
    """A customer's requests that still need them: open, being matched, assigned, in progress,
    awaiting their confirmation or disputed (anything not confirmed, cancelled, expired or
    handed to a professional)."""
    return JobRequest.objects.filter(customer=user).exclude(status__in=CLOSED)


OPEN_REQUESTS_MESSAGE = (
    "You have requests that are still open or in progress. A helper account cannot post or "
    "follow requests: wait until they are done, or cancel them, before applying."
)


def open_requests_hold(user: User) -> Hold | None:
    """A customer with requests not closed may not become a helper yet (accounts.roles; jobs
    registers this check in its AppConfig.ready)."""
    count = customer_jobs_not_closed(user=user).count()
    if not count:
        return None
    return Hold(code="open_requests", count=count, message=OPEN_REQUESTS_MESSAGE)


def jobs_for_helper(*, user: User) -> QuerySet[JobRequest]:
    return _base().filter(assigned_helper=user)


def jobs_for_operator(*, status: str | None = None) -> QuerySet[JobRequest]:
    qs = _base()
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-id")


def jobs_listed_for(*, user: User, status: str | None = None) -> QuerySet[JobRequest]:
    """ "Your jobs": posted ones for customers, assigned ones for helpers, all for operators."""
    if user.is_operator:
        return jobs_for_operator(status=status)
    qs = _base().filter(jobs_visible_filter(user))
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-id")


def review_by(*, job: JobRequest, author: User) -> Review | None:
    return Review.objects.filter(job=job, author=author).first()


def offers_for_helper(*, user: User, pending_only: bool = True) -> QuerySet[JobOffer]:
    qs = JobOffer.objects.filter(helper=user).select_related("job__category", "job__market")
    if pending_only:
        qs = qs.filter(status=OfferStatus.PENDING, job__status__in=OFFERABLE)
    return qs


def _in_range(*, job: JobRequest, profile: HelperProfile) -> bool:
    """The feed's rule without the job's status: a vetted helper with the skill, in radius."""
    return (
        profile.status == HelperStatus.VETTED
        and job.customer_id != profile.user_id
        and profile.has_skill(job.category)
        and geo.haversine_km(profile.lat, profile.lng, job.lat, job.lng)
        <= profile.service_radius_km
    )


def in_feed_range(*, job: JobRequest, profile: HelperProfile) -> bool:
    return job.status in OFFERABLE and _in_range(job=job, profile=profile)


def _visible(*, user: User, job: JobRequest) -> bool:
    if user.is_operator or job.customer_id == user.pk or job.assigned_helper_id == user.pk:
        return True
    if user.is_helper:
        if JobOffer.objects.filter(job=job, helper=user).exists() and not job.is_closed:
            return True
        profile = HelperProfile.objects.filter(user=user).first()
        if profile and in_feed_range(job=job, profile=profile):
            return True
    return False


def job_for_user(*, user: User, job_id: int) -> JobRequest:
    """The job if `user` may see it; NotFound otherwise (never reveal that it exists)."""
    job = _base().filter(pk=job_id).first()
    if job is None or not _visible(user=user, job=job):
        raise NotFound("Job not found")
    return job


def _knew_of(*, user: User, job: JobRequest) -> bool:
    """Whether a helper who can no longer see `job` could have while it was open: they had an
    offer for it, or it is still being done by someone else and would have been in their feed."""
    if not user.is_helper:
        return False
    if JobOffer.objects.filter(job=job, helper=user).exists():
        return True
    profile = HelperProfile.objects.filter(user=user).first()
    return bool(profile) and job.status in ASSIGNED and _in_range(job=job, profile=profile)


def accept_refused_message(*, job: JobRequest, helper: User) -> str:
    """Why `helper` cannot accept `job` now that it is no longer offerable."""
    if job.assigned_helper_id == helper.pk:
        return "You have already accepted this job"
    if job.assigned_helper_id is not None or job.status in ASSIGNED:
        return "Another helper already accepted this job"
    return "This job is no longer open"


def job_for_acceptance(*, user: User, job_id: int) -> JobRequest:
    """The job a helper asks to accept. As `job_for_user`, except for the helper who lost the race
    (or came after the job closed) and knew of the job through an offer or the feed: they get
    InvalidTransition (409) with the reason only, never the job itself. Helpers who could never
    see the job still get NotFound."""
    job = _base().filter(pk=job_id).first()
    if job is None:
        raise NotFound("Job not found")
    if _visible(user=user, job=job):
        return job
    if job.status not in OFFERABLE and _knew_of(user=user, job=job):
        raise InvalidTransition(accept_refused_message(job=job, helper=user))
    raise NotFound("Job not found")


def can_see_exact_location(*, user: User, job: JobRequest) -> bool:
    if user.is_operator or job.customer_id == user.pk:
        return True
    return job.assigned_helper_id == user.pk and job.status not in CLOSED


@dataclass(frozen=True)
class FeedItem:
    job: JobRequest
    distance_km: float  # from the helper's home to the approximate point
    offer: JobOffer | None


def nearby_open_jobs(*, profile: HelperProfile, limit: int = FEED_LIMIT) -> list[FeedItem]:
    """Open jobs a vetted helper could take, nearest first.

    Inclusion uses the exact point, the same rule as acceptance (`check_can_take`), so every job
    in the feed can be accepted; the distance shown is to the approximate point only.
    """
    if profile.status != HelperStatus.VETTED:
        return []
    min_lat, max_lat, min_lng, max_lng = geo.bounding_box(
        profile.lat, profile.lng, profile.service_radius_km
    )
    jobs = (
        _base()
        .filter(
            status__in=OFFERABLE,
            lat__range=(min_lat, max_lat),
            lng__range=(min_lng, max_lng),
        )
        .exclude(customer_id=profile.user_id)
    )
    offers = {
        o.job_id: o
        for o in JobOffer.objects.filter(helper_id=profile.user_id, job__status__in=OFFERABLE)
    }
    items = []
    for job in jobs:
        if not profile.has_skill(job.category):
            continue
        if geo.haversine_km(profile.lat, profile.lng, job.lat, job.lng) > profile.service_radius_km:
            continue
        d = geo.haversine_km(profile.lat, profile.lng, job.approx_lat, job.approx_lng)
        items.append(FeedItem(job=job, distance_km=d, offer=offers.get(job.pk)))
    items.sort(key=lambda item: (item.distance_km, item.job.created_at))
    return items[:limit]


def job_timeline(*, job: JobRequest) -> QuerySet[JobEvent]:
    return job.events.select_related("actor").order_by("created_at", "id")


def jobs_visible_filter(user: User) -> Q:
    return Q(customer=user) | Q(assigned_helper=user)


def quote_choices(*, market: Market, start, end) -> list[dict]:
    """What customers were quoted and what they chose, per category, for requests posted in
    [start, end): requests, how many chose the helper or the professional at posting, the mean
    helper price and professional price they saw (minor units), and how many were told that
    professional installation was free. One aggregate query — the data the pilot's demand model
    and the price-ratio chart read."""
    rows = (
        JobRequest.objects.filter(market=market, created_at__gte=start, created_at__lt=end)
        .values("category__slug")
        .annotate(
            requests=Count("id"),
            chose_helper=Count("id", filter=Q(choice="helper")),
            chose_professional=Count("id", filter=Q(choice="professional")),
            free_install=Count("id", filter=Q(professional_install_free=True)),
            helper_price_sum=Sum("price"),
            professional_price_sum=Sum("professional_price"),
        )
        .order_by("category__slug")
    )
    return [
        {
            "category": r["category__slug"],
            "requests": r["requests"],
            "chose_helper": r["chose_helper"],
            "chose_professional": r["chose_professional"],
            "free_install": r["free_install"],
            # Means rounded half up to the minor unit, the project's one rounding rule.
            "mean_helper_price": share_half_up(r["helper_price_sum"], 1, r["requests"]),
            "mean_professional_price": share_half_up(r["professional_price_sum"], 1, r["requests"]),
        }
        for r in rows
    ]
