"""A helper's public profile: their card (helpers) with their track record here, jobs
confirmed and the latest reviews (jobs). It lives in jobs because it reads both; customers see
vetted helpers, operators any helper, a helper their own card (helpers.selectors decides)."""

from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from django.utils import timezone

from marketplace.core.errors import NotFound
from marketplace.helpers.models import HelperProfile
from marketplace.helpers.selectors import helper_public_visible, public_name
from marketplace.jobs.models import JobRequest, JobStatus, Review, ReviewDirection

PUBLIC_REVIEWS = 5


@dataclass(frozen=True)
class PublicReview:
    rating: int
    comment: str
    month: date  # the first day of the review's month: no exact dates on a public page


@dataclass(frozen=True)
class PublicHelperProfile:
    """Only what a helper shows the public: first name and initial, never the full name, e-mail,
    phone, home address or coordinates."""

    id: int
    name: str
    status: str
    bio: str
    skills: list[str]
    city: str
    market: str
    average_rating: float | None
    rating_count: int
    completed_jobs: int
    member_since: date
    reviews: list[PublicReview]


def helper_public_profile(*, viewer, profile_id: int) -> PublicHelperProfile:
    """The public card of one helper for `viewer`; NotFound when they may not see it."""
    profile = (
        HelperProfile.objects.select_related("user", "market")
        .only(
            "id",
            "user_id",
            "user__full_name",
            "user__date_joined",
            "market__name",
            "market__names",
            "market__time_zone",
            "status",
            "bio",
            "city",
            "rating_sum",
            "rating_count",
        )
        .filter(pk=profile_id)
        .first()
    )
    if profile is None or not helper_public_visible(viewer=viewer, profile=profile):
        raise NotFound("Helper not found")
    # Category and market names in the active language (the request's), English as fallback.
    skills = sorted(
        (s.category.localized_name() for s in profile.skills.select_related("category")),
        key=str.casefold,
    )
    completed = JobRequest.objects.filter(
        assigned_helper_id=profile.user_id, status=JobStatus.CONFIRMED
    ).count()
    tz = ZoneInfo(profile.market.time_zone)
    reviews = [
        PublicReview(
            rating=r["rating"],
            comment=r["comment"],
            month=timezone.localtime(r["created_at"], tz).date().replace(day=1),
        )
        for r in Review.objects.filter(
            subject_id=profile.user_id, direction=ReviewDirection.OF_HELPER
        )
        .order_by("-created_at", "-id")
        .values("rating", "comment", "created_at")[:PUBLIC_REVIEWS]
    ]
    return PublicHelperProfile(
        id=profile.pk,
        name=public_name(profile.user.full_name),
        status=profile.status,
        bio=profile.bio,
        skills=skills,
        city=profile.city,
        market=profile.market.localized_name(),
        average_rating=(
            round(profile.rating_sum / profile.rating_count, 1) if profile.rating_count else None
        ),
        rating_count=profile.rating_count,
        completed_jobs=completed,
        member_since=timezone.localtime(profile.user.date_joined, tz).date().replace(day=1),
        reviews=reviews,
    )
