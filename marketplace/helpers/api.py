from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status
from pydantic import StrictBool, StrictInt

from marketplace.core.schemas import (
    CITY_MAX_LENGTH,
    HELPER_REASON_MAX_LENGTH,
    LANGUAGES_MAX_LENGTH,
    InputSchema,
    Latitude,
    Longitude,
    Text,
    errors,
    require_operator,
)
from marketplace.helpers import services
from marketplace.helpers.models import HelperProfile, HelperStatus
from marketplace.helpers.selectors import applied_helper_profile
from marketplace.helpers.services import MAX_BIO_LENGTH, MAX_RADIUS_KM
from marketplace.pricing.models import Market, ServiceCategory

router = Router(tags=["helpers"])
operator_router = Router(tags=["helpers"])

OPERATOR_ACTION_ERRORS = errors(400, 401, 403, 404, 409, 422)


class SlotIn(InputSchema):
    weekday: StrictInt = Field(ge=0, le=6, description="0 = Monday")
    start_hour: StrictInt = Field(ge=0, le=23)
    end_hour: StrictInt = Field(ge=1, le=24)


class HelperApplyIn(InputSchema):
    market: str
    lat: Latitude
    lng: Longitude
    city: str = Field("", max_length=CITY_MAX_LENGTH)
    service_radius_km: StrictInt = Field(10, ge=1, le=MAX_RADIUS_KM)
    bio: str = Field("", max_length=MAX_BIO_LENGTH)
    languages: str = Field("en", max_length=LANGUAGES_MAX_LENGTH)
    skills: list[str] = Field(default_factory=list, description="Category slugs")
    availability: list[SlotIn] = Field(default_factory=list)
    accept_code_of_conduct: StrictBool = Field(description="Must be true to apply")
    confirm_role_change: StrictBool = Field(
        False,
        description="A customer account: true to become a helper account for good (it can then "
        "no longer post requests)",
    )


class ProfileUpdateIn(InputSchema):
    """Only the fields given change; lat and lng go together."""

    lat: Latitude | None = Field(None, description="With lng")
    lng: Longitude | None = Field(None, description="With lat")
    city: str | None = Field(None, max_length=CITY_MAX_LENGTH)
    service_radius_km: StrictInt | None = Field(None, ge=1, le=MAX_RADIUS_KM)
    bio: str | None = Field(None, max_length=MAX_BIO_LENGTH)
    languages: str | None = Field(None, max_length=LANGUAGES_MAX_LENGTH)
    is_available: StrictBool | None = None


class SkillsIn(InputSchema):
    skills: list[str]


class AvailabilityIn(InputSchema):
    availability: list[SlotIn]


class SlotOut(Schema):
    weekday: int
    start_hour: int
    end_hour: int


class PublicHelperOut(Schema):
    id: int
    name: str
    city: str
    languages: str
    rating: float
    rating_count: int
    completed_jobs: int
    skills: list[str]


class MyProfileOut(PublicHelperOut):
    status: str
    status_reason: str
    market: str
    lat: float
    lng: float
    service_radius_km: int
    bio: str
    is_available: bool
    active_jobs: int
    max_active_jobs: int
    availability: list[SlotOut]


class OperatorHelperOut(MyProfileOut):
    email: str
    phone: str
    id_checked: bool
    code_of_conduct_accepted: bool
    created_at: str


class VetIn(InputSchema):
    id_checked: StrictBool = Field(description="The operator has checked the helper's ID document")


class HelperStatusReasonIn(InputSchema):
    reason: Text(min_length=1, max_length=HELPER_REASON_MAX_LENGTH) = Field(
        description="Not blank; shown to the helper"
    )


def public_out(p: HelperProfile) -> dict:
    return {
        "id": p.pk,
        "name": p.user.display_name,
        "city": p.city,
        "languages": p.languages,
        "rating": round(p.rating, 2),
        "rating_count": p.rating_count,
        "completed_jobs": p.completed_jobs,
        "skills": [s.category.slug for s in p.skills.select_related("category")],
    }


def private_out(p: HelperProfile) -> dict:
    return {
        **public_out(p),
        "status": p.status,
        "status_reason": p.status_reason,
        "market": p.market.code,
        "lat": p.lat,
        "lng": p.lng,
        "service_radius_km": p.service_radius_km,
        "bio": p.bio,
        "is_available": p.is_available,
        "active_jobs": p.active_jobs,
        "max_active_jobs": p.max_active_jobs,
        "availability": [
            {"weekday": s.weekday, "start_hour": s.start_hour, "end_hour": s.end_hour}
            for s in p.slots.all()
        ],
    }


def operator_out(p: HelperProfile) -> dict:
    return {
        **private_out(p),
        "email": p.user.email,
        "phone": p.user.phone,
        "id_checked": p.id_checked_at is not None,
        "code_of_conduct_accepted": p.code_of_conduct_accepted_at is not None,
        "created_at": p.created_at.isoformat(),
    }


def _categories(slugs: list[str]) -> list[ServiceCategory]:
    found = list(ServiceCategory.objects.filter(slug__in=set(slugs), is_active=True))
    missing = set(slugs) - {c.slug for c in found}
    if missing:
        from marketplace.core.errors import ValidationFailed

        raise ValidationFailed(f"Unknown categories: {', '.join(sorted(missing))}")
    return found


def _my_profile(request) -> HelperProfile:
    return applied_helper_profile(request.auth)


@router.post("/apply", response={201: MyProfileOut, **errors(400, 401, 403, 404, 409, 422)})
def apply(request, payload: HelperApplyIn):
    """Apply as a helper; an operator checks your ID and vets the application.

    One account, one role. A helper account (signed up as a helper) applies as it is. A customer
    account becomes a helper account for good and can then no longer post requests, so it must
    send `"confirm_role_change": true` (without it: 422, code `confirm_role_change`); a customer
    with requests that are still open, assigned, in progress, awaiting confirmation or disputed
    is refused (409, code `open_requests`) until they are done or cancelled. Applying twice is
    409; operators cannot apply (403).
    """
    market = get_object_or_404(Market, code=payload.market, is_active=True)
    profile = services.helper_apply(
        user=request.auth,
        market=market,
        lat=payload.lat,
        lng=payload.lng,
        city=payload.city,
        service_radius_km=payload.service_radius_km,
        bio=payload.bio,
        languages=payload.languages,
        skills=_categories(payload.skills),
        slots=[(s.weekday, s.start_hour, s.end_hour) for s in payload.availability],
        accept_code_of_conduct=payload.accept_code_of_conduct,
        confirm_role_change=payload.confirm_role_change,
    )
    return Status(201, private_out(profile))


@router.get("/me", response={200: MyProfileOut, **errors(401, 404)})
def my_profile(request):
    return private_out(_my_profile(request))


@router.patch("/me", response={200: MyProfileOut, **errors(400, 401, 403, 404, 422)})
def update_my_profile(request, payload: ProfileUpdateIn):
    profile = services.helper_update_profile(
        profile=_my_profile(request), **payload.dict(exclude_unset=True)
    )
    return private_out(profile)


@router.put("/me/skills", response={200: MyProfileOut, **errors(400, 401, 403, 404, 422)})
def set_skills(request, payload: SkillsIn):
    profile = _my_profile(request)
    services.helper_set_skills(profile=profile, categories=_categories(payload.skills))
    return private_out(profile)


@router.put("/me/availability", response={200: MyProfileOut, **errors(400, 401, 403, 404, 422)})
def set_availability(request, payload: AvailabilityIn):
    profile = _my_profile(request)
    services.helper_set_availability(
        profile=profile,
        slots=[(s.weekday, s.start_hour, s.end_hour) for s in payload.availability],
    )
    return private_out(profile)


@router.get("/{helper_id}", response={200: PublicHelperOut, **errors(401, 404, 422)})
def public_profile(request, helper_id: int):
    profile = get_object_or_404(
        HelperProfile.objects.select_related("user"), pk=helper_id, status=HelperStatus.VETTED
    )
    return public_out(profile)


# --- operators ---------------------------------------------------------------------------------


def _profile_for_operator(request, helper_id: int) -> HelperProfile:
    require_operator(request)
    return get_object_or_404(HelperProfile.objects.select_related("user", "market"), pk=helper_id)


@operator_router.get("/helpers", response={200: list[OperatorHelperOut], **errors(401, 403, 422)})
def operator_helpers(request, status: HelperStatus = HelperStatus.APPLIED, limit: int = 100):
    """The vetting queue (default) or helpers in another status, oldest first."""
    require_operator(request)
    qs = (
        HelperProfile.objects.filter(status=status)
        .select_related("user", "market")
        .prefetch_related("slots")
        .order_by("created_at")[: max(1, min(limit, 500))]
    )
    return [operator_out(p) for p in qs]


@operator_router.post(
    "/helpers/{helper_id}/vet", response={200: OperatorHelperOut, **OPERATOR_ACTION_ERRORS}
)
def operator_vet(request, helper_id: int, payload: VetIn):
    profile = _profile_for_operator(request, helper_id)
    return operator_out(
        services.helper_vet(profile=profile, actor=request.auth, id_checked=payload.id_checked)
    )


@operator_router.post(
    "/helpers/{helper_id}/reject",
    response={200: OperatorHelperOut, **OPERATOR_ACTION_ERRORS},
)
def operator_reject(request, helper_id: int, payload: HelperStatusReasonIn):
    profile = _profile_for_operator(request, helper_id)
    return operator_out(
        services.helper_reject(profile=profile, actor=request.auth, reason=payload.reason)
    )


@operator_router.post(
    "/helpers/{helper_id}/suspend",
    response={200: OperatorHelperOut, **OPERATOR_ACTION_ERRORS},
)
def operator_suspend(request, helper_id: int, payload: HelperStatusReasonIn):
    profile = _profile_for_operator(request, helper_id)
    return operator_out(
        services.helper_suspend(profile=profile, actor=request.auth, reason=payload.reason)
    )
