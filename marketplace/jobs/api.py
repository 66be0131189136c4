from datetime import datetime

from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status
from pydantic import ConfigDict, StrictInt, model_validator
from pydantic_core import PydanticCustomError

from marketplace.core.errors import NotAllowed
from marketplace.core.schemas import (
    ADDRESS_MAX_LENGTH,
    ADDRESS_OR_LOCATION,
    BOTH_COORDINATES,
    CONTACT_PHONE_MAX_LENGTH,
    JOB_DESCRIPTION_MAX_LENGTH,
    JOB_DESCRIPTION_MIN_LENGTH,
    JOB_NOTE_MAX_LENGTH,
    JOB_REASON_MAX_LENGTH,
    MAX_OFFSET,
    NPS_MAX,
    NPS_MIN,
    RATING_MAX,
    RATING_MIN,
    REVIEW_COMMENT_MAX_LENGTH,
    InputSchema,
    Latitude,
    Longitude,
    Text,
    as_utc,
    errors,
)
from marketplace.helpers.selectors import applied_helper_profile
from marketplace.jobs import disputes, public_profiles, selectors, services
from marketplace.jobs.disputes import MAX_TEXT as DISPUTE_TEXT_MAX_LENGTH
from marketplace.jobs.labels import status_label
from marketplace.jobs.models import (
    Dispute,
    DisputeOutcome,
    Fulfilment,
    JobOffer,
    JobRequest,
    JobStatus,
    OfferStatus,
)
from marketplace.pricing.models import ServiceCategory
from marketplace.security.ratelimit import rate_limit

router = Router(tags=["jobs"])

ACTION_ERRORS = errors(401, 403, 404, 409, 422)
# Operations with a JSON body can also answer 400 when the body cannot be parsed.
BODY_ACTION_ERRORS = errors(400, 401, 403, 404, 409, 422)


class JobIn(InputSchema):
    """Where: an `address` (geocoded), or the device's location (`lat` and `lng` together).
    With a location the address is kept as given; without one it must not be blank."""

    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": [
                {
                    "required": ["address"],
                    "properties": {
                        "address": {"pattern": r"\S"},
                        "lat": {"type": "null"},
                        "lng": {"type": "null"},
                    },
                },
                {
                    "required": ["lat", "lng"],
                    "properties": {"lat": {"type": "number"}, "lng": {"type": "number"}},
                },
            ]
        }
    )

    category: str = Field(description="Category slug, see GET /api/categories")
    description: Text(
        min_length=JOB_DESCRIPTION_MIN_LENGTH, max_length=JOB_DESCRIPTION_MAX_LENGTH
    ) = Field(
        description=f"{JOB_DESCRIPTION_MIN_LENGTH}–{JOB_DESCRIPTION_MAX_LENGTH} characters, "
        "surrounding whitespace not counted"
    )
    address: str = Field(
        "",
        max_length=ADDRESS_MAX_LENGTH,
        description=f"{ADDRESS_OR_LOCATION}. Geocoded when there is no location",
    )
    lat: Latitude | None = Field(None, description="From the device's location, with lng")
    lng: Longitude | None = Field(None, description="With lat")
    window_start: datetime | None = Field(None, description="ISO 8601 with offset; default now")
    window_end: datetime | None = Field(None, description="Default: start + 4 hours")
    contact_phone: str = Field("", max_length=CONTACT_PHONE_MAX_LENGTH)
    fulfilment: Fulfilment = Field(
        Fulfilment.HELPER,
        description="The customer's choice after seeing the quote: 'helper' (dispatch to nearby "
        "helpers) or 'professional' (hand over to the provider's technician at once)",
    )

    @model_validator(mode="after")
    def _address_or_location(self):
        if (self.lat is None) != (self.lng is None):
            raise PydanticCustomError("location", BOTH_COORDINATES)
        if self.lat is None and not self.address.strip():
            raise PydanticCustomError("address_or_location", ADDRESS_OR_LOCATION)
        return self


class JobQuoteOut(Schema):
    currency: str
    helper_price: int
    professional_price: int = Field(description="What a technician costs you; 0 when free")
    professional_list_price: int = Field(description="The technician's price before any offer")
    professional_install_free: bool
    saving: int = Field(description="professional_price - helper_price (negative: helper dearer)")
    platform_fee: int
    helper_payout: int


class PersonOut(Schema):
    id: int
    name: str


class HelperOut(PersonOut):
    rating: float | None


class JobOut(Schema):
    id: int
    status: str
    status_label: str
    fulfilment: str
    category: str
    category_name: str
    market: str
    description: str
    city: str
    approx_lat: float
    approx_lng: float
    location_precision: str = Field(
        description="How exactly the job's point is known: street, postcode, town (centre) "
        "or device (GPS)"
    )
    exact_location_visible: bool
    address: str | None
    lat: float | None
    lng: float | None
    contact_phone: str | None
    window_start: datetime
    window_end: datetime
    created_at: datetime
    accepted_at: datetime | None
    completed_at: datetime | None
    closed_at: datetime | None
    quote: JobQuoteOut
    customer: PersonOut | None
    helper: HelperOut | None
    cancelled_by: str
    cancel_reason: str
    cancellation_fee: int
    completion_note: str
    pending_offers: int | None


class EventOut(Schema):
    kind: str
    from_status: str
    to_status: str
    at: datetime
    by: str | None


class NoteIn(InputSchema):
    note: str = Field("", max_length=JOB_NOTE_MAX_LENGTH)


class JobReasonIn(InputSchema):
    reason: Text(min_length=1, max_length=JOB_REASON_MAX_LENGTH) = Field(
        description="Not blank; kept in the job's history"
    )


class ReviewIn(InputSchema):
    rating: StrictInt = Field(ge=RATING_MIN, le=RATING_MAX)
    comment: str = Field("", max_length=REVIEW_COMMENT_MAX_LENGTH)
    nps: StrictInt | None = Field(
        None, ge=NPS_MIN, le=NPS_MAX, description="Customers: likelihood to recommend"
    )


class ReviewOut(Schema):
    id: int
    job_id: int
    direction: str
    rating: int
    nps: int | None
    comment: str


class CancellationPreviewOut(Schema):
    currency: str
    fee: int
    free: bool


def job_out(job: JobRequest, user) -> dict:
    exact = selectors.can_see_exact_location(user=user, job=job)
    sees_customer = user.is_operator or user.pk in (job.customer_id, job.assigned_helper_id)
    helper = job.assigned_helper
    helper_rating = None
    if helper is not None:
        profile = getattr(helper, "helper_profile", None)
        helper_rating = round(profile.rating, 2) if profile else None
    is_owner = user.is_operator or user.pk == job.customer_id
    return {
        "id": job.pk,
        "status": job.status,
        "status_label": str(status_label(job, viewer=user)),
        "fulfilment": job.fulfilment,
        "category": job.category.slug,
        "category_name": job.category.localized_name(),
        "market": job.market.code,
        "description": job.description,
        "city": job.city,
        "approx_lat": job.approx_lat,
        "approx_lng": job.approx_lng,
        "location_precision": job.location_precision,
        "exact_location_visible": exact,
        "address": job.address if exact else None,
        "lat": job.lat if exact else None,
        "lng": job.lng if exact else None,
        "contact_phone": job.contact_phone if exact else None,
        "window_start": job.window_start,
        "window_end": job.window_end,
        "created_at": job.created_at,
        "accepted_at": job.accepted_at,
        "completed_at": job.completed_at,
        "closed_at": job.closed_at,
        "quote": {
            "currency": job.currency,
            "helper_price": job.price,
            "professional_price": job.professional_price,
            "professional_list_price": job.professional_list_price,
            "professional_install_free": job.professional_install_free,
            "saving": job.professional_price - job.price,
            # Shown to everyone who sees the quote: it is price - payout anyway, and a zero here
            # broke `platform_fee + helper_payout == helper_price` (DESIGN §5) for helpers.
            "platform_fee": job.platform_fee,
            "helper_payout": job.helper_payout,
        },
        "customer": (
            {"id": job.customer_id, "name": job.customer.display_name} if sees_customer else None
        ),
        "helper": (
            {"id": helper.pk, "name": helper.display_name, "rating": helper_rating}
            if helper
            else None
        ),
        "cancelled_by": job.cancelled_by,
        "cancel_reason": job.cancel_reason if sees_customer else "",
        "cancellation_fee": job.cancellation_fee,
        "completion_note": job.completion_note if sees_customer else "",
        "pending_offers": (
            job.offers.filter(status=OfferStatus.PENDING).count() if is_owner else None
        ),
    }


def _job(request, job_id: int) -> JobRequest:
    return selectors.job_for_user(user=request.auth, job_id=job_id)


@router.post("", response={201: JobOut, **BODY_ACTION_ERRORS})
@rate_limit("job_post", key="user")
def post_job(request, payload: JobIn):
    """Post a request. The quote (helper vs professional price) is fixed at this moment."""
    category = get_object_or_404(ServiceCategory, slug=payload.category, is_active=True)
    job = services.job_post(
        customer=request.auth,
        category=category,
        description=payload.description,
        address=payload.address,
        lat=payload.lat,
        lng=payload.lng,
        window_start=as_utc(payload.window_start),
        window_end=as_utc(payload.window_end),
        contact_phone=payload.contact_phone,
        fulfilment=payload.fulfilment,
    )
    return Status(201, job_out(job, request.auth))


class BookProfessionalIn(InputSchema):
    window_start: datetime | None = Field(
        None, description="A new time window for the visit (ISO 8601 with offset)"
    )
    window_end: datetime | None = Field(None, description="Default: start + 4 hours")


@router.post("/{job_id}/book-professional", response={200: JobOut, **BODY_ACTION_ERRORS})
def book_professional(request, job_id: int, payload: BookProfessionalIn | None = None):
    """The professional fallback in one call: book a technician at the quoted professional price
    instead of waiting for a helper (allowed while open or offered, and after expiry). When the
    job's time window is over, send a new one (`window_start`, optional `window_end`); without
    it the answer is 422 `window_in_past`. A window in the past is refused (422) too."""
    job = services.job_book_professional(
        job=_job(request, job_id),
        customer=request.auth,
        window_start=as_utc(payload.window_start) if payload else None,
        window_end=as_utc(payload.window_end) if payload else None,
    )
    return job_out(job, request.auth)


@router.get("", response={200: list[JobOut], **errors(401, 422)})
def list_jobs(request, status: JobStatus | None = None, limit: int = 50, offset: int = 0):
    """Your jobs: posted ones for customers, assigned ones for helpers, all for operators."""
    user = request.auth
    qs = selectors.jobs_listed_for(user=user, status=status)
    limit = max(1, min(limit, 200))
    offset = max(0, min(offset, MAX_OFFSET))
    return [job_out(j, user) for j in qs[offset : offset + limit]]


@router.get("/{job_id}", response={200: JobOut, **errors(401, 404, 422)})
def get_job(request, job_id: int):
    return job_out(_job(request, job_id), request.auth)


@router.get("/{job_id}/events", response={200: list[EventOut], **errors(401, 403, 404, 422)})
def job_events(request, job_id: int):
    """The status timeline."""
    job = _job(request, job_id)
    if not (
        request.auth.is_operator or request.auth.pk in (job.customer_id, job.assigned_helper_id)
    ):
        raise NotAllowed("Only the customer and the assigned helper see the timeline")
    return [
        {
            "kind": e.kind,
            "from_status": e.from_status,
            "to_status": e.to_status,
            "at": e.created_at,
            "by": e.actor.display_name if e.actor else None,
        }
        for e in selectors.job_timeline(job=job)
    ]


@router.post("/{job_id}/accept", response={200: JobOut, **ACTION_ERRORS})
@rate_limit("job_accept", key="user")
def accept(request, job_id: int):
    """First valid acceptance wins; later ones get 409 ("Another helper already accepted this
    job"), also when the job is no longer visible to the helper who came too late but knew of it
    (they had an offer, or it was in their feed). Helpers who could never see it get 404."""
    job = selectors.job_for_acceptance(user=request.auth, job_id=job_id)
    job = services.job_accept(job=job, helper=request.auth)
    return job_out(job, request.auth)


@router.post("/{job_id}/decline", response={204: None, **ACTION_ERRORS})
def decline(request, job_id: int):
    offer = get_object_or_404(JobOffer, job__pk=job_id, helper=request.auth)
    services.offer_decline(offer=offer, helper=request.auth)
    return Status(204, None)


@router.post("/{job_id}/on-the-way", response={200: JobOut, **ACTION_ERRORS})
def on_the_way(request, job_id: int):
    """The assigned helper tells the customer they set off (no status change; idempotent)."""
    job = services.job_on_the_way(job=_job(request, job_id), helper=request.auth)
    return job_out(job, request.auth)


@router.post("/{job_id}/check-in", response={200: JobOut, **ACTION_ERRORS})
def check_in(request, job_id: int):
    job = services.job_check_in(job=_job(request, job_id), helper=request.auth)
    return job_out(job, request.auth)


@router.post("/{job_id}/complete", response={200: JobOut, **BODY_ACTION_ERRORS})
def complete(request, job_id: int, payload: NoteIn):
    job = services.job_complete(job=_job(request, job_id), helper=request.auth, note=payload.note)
    return job_out(job, request.auth)


@router.post("/{job_id}/confirm", response={200: JobOut, **ACTION_ERRORS})
def confirm(request, job_id: int):
    job = services.job_confirm(job=_job(request, job_id), actor=request.auth)
    return job_out(job, request.auth)


@router.get(
    "/{job_id}/cancellation", response={200: CancellationPreviewOut, **errors(401, 403, 404, 422)}
)
def cancellation_preview(request, job_id: int):
    """What cancelling now would cost, under the market's policy."""
    from django.utils import timezone

    job = _job(request, job_id)
    if not (request.auth.is_operator or request.auth.pk == job.customer_id):
        raise NotAllowed("Only the customer can cancel this job")
    fee = services.cancellation_fee_for(job=job, now=timezone.now())
    return {"currency": job.currency, "fee": fee, "free": fee == 0}


@router.post("/{job_id}/cancel", response={200: JobOut, **BODY_ACTION_ERRORS})
def cancel(request, job_id: int, payload: JobReasonIn):
    job = services.job_cancel(job=_job(request, job_id), actor=request.auth, reason=payload.reason)
    return job_out(job, request.auth)


@router.post("/{job_id}/release", response={200: JobOut, **BODY_ACTION_ERRORS})
def release(request, job_id: int, payload: JobReasonIn):
    """The assigned helper gives the job back before starting; matching starts again."""
    job = services.job_release(
        job=_job(request, job_id), helper=request.auth, reason=payload.reason
    )
    return job_out(job, request.auth)


@router.post("/{job_id}/reviews", response={201: ReviewOut, **BODY_ACTION_ERRORS})
def review(request, job_id: int, payload: ReviewIn):
    review = services.review_create(
        job=_job(request, job_id),
        author=request.auth,
        rating=payload.rating,
        comment=payload.comment,
        nps=payload.nps,
    )
    return Status(
        201,
        {
            "id": review.pk,
            "job_id": job_id,
            "direction": review.direction,
            "rating": review.rating,
            "nps": review.nps,
            "comment": review.comment,
        },
    )


# --- Disputes (marketplace/jobs/disputes.py) ---------------------------------------------------

operator_router = Router(tags=["jobs"])


class DisputeIn(InputSchema):
    reason: Text(min_length=1, max_length=DISPUTE_TEXT_MAX_LENGTH) = Field(
        description=f"What went wrong (not blank, at most {DISPUTE_TEXT_MAX_LENGTH} characters)"
    )


class DisputeResolveIn(InputSchema):
    outcome: DisputeOutcome = Field(
        description="'confirm' (the helper is paid as usual) or 'refund' (the customer gets "
        "money back; the job is cancelled by the operator)"
    )
    note: Text(min_length=1, max_length=DISPUTE_TEXT_MAX_LENGTH) = Field(
        description="Why: kept in the job's audit trail (not blank)"
    )
    refund_amount: StrictInt | None = Field(
        None, description="Refund only: minor units; default everything the customer paid"
    )


class DisputeOut(Schema):
    job_id: int
    job_status: str
    reason: str
    opened_at: datetime
    outcome: str | None
    resolution_note: str
    refund_amount: int
    resolved_at: datetime | None


def dispute_out(dispute: Dispute) -> dict:
    return {
        "job_id": dispute.job_id,
        "job_status": JobRequest.objects.values_list("status", flat=True).get(pk=dispute.job_id),
        "reason": dispute.reason,
        "opened_at": dispute.opened_at,
        "outcome": dispute.outcome or None,
        "resolution_note": dispute.resolution_note,
        "refund_amount": dispute.refund_amount,
        "resolved_at": dispute.resolved_at,
    }


@router.post("/{job_id}/dispute", response={201: DisputeOut, **BODY_ACTION_ERRORS})
def open_dispute(request, job_id: int, payload: DisputeIn):
    """The customer reports a problem with completed work (before confirming it). The job is
    disputed: no automatic confirmation, no payment until an operator decides."""
    dispute = disputes.dispute_open(
        job=_job(request, job_id), customer=request.auth, reason=payload.reason
    )
    return Status(201, dispute_out(dispute))


@operator_router.post(
    "/jobs/{job_id}/resolve-dispute", response={200: DisputeOut, **BODY_ACTION_ERRORS}
)
def resolve_dispute(request, job_id: int, payload: DisputeResolveIn):
    """Operators: confirm the job for the helper, or refund the customer (full or partial)."""
    if not request.auth.is_operator:
        raise NotAllowed("Operators only")
    dispute = disputes.dispute_resolve(
        job=_job(request, job_id),
        operator=request.auth,
        outcome=payload.outcome,
        note=payload.note,
        refund_amount=payload.refund_amount,
    )
    return dispute_out(dispute)


# --- The helper's offers and job feed (under /api/helpers/me/) --------------------------------

helper_router = Router(tags=["helpers"])


class FeedItemOut(Schema):
    job_id: int
    category: str
    city: str
    approx_lat: float
    approx_lng: float
    distance_km: float
    window_start: str
    window_end: str
    currency: str
    helper_payout: int
    has_offer: bool
    offer_expires_at: str | None


class OfferOut(Schema):
    id: int
    job_id: int
    category: str
    city: str
    approx_lat: float
    approx_lng: float
    distance_km: float
    expires_at: str
    currency: str
    helper_payout: int


def _helper_profile(request):
    return applied_helper_profile(request.auth)


# Mounted under /api/helpers (the helper's own offers and feed are jobs data); the operation ids
# are the ones these operations had when they lived in helpers/api.py, so clients keep them.
@helper_router.get(
    "/me/offers",
    response={200: list[OfferOut], **errors(401, 404)},
    operation_id="marketplace_helpers_api_my_offers",
)
def my_offers(request):
    """Jobs offered to you and still waiting for your answer."""
    _helper_profile(request)
    return [
        {
            "id": o.pk,
            "job_id": o.job_id,
            "category": o.job.category.slug,
            "city": o.job.city,
            "approx_lat": o.job.approx_lat,
            "approx_lng": o.job.approx_lng,
            "distance_km": round(o.distance_km, 1),
            "expires_at": o.expires_at.isoformat(),
            "currency": o.job.currency,
            "helper_payout": o.job.helper_payout,
        }
        for o in selectors.offers_for_helper(user=request.auth)
    ]


@helper_router.get(
    "/me/feed",
    response={200: list[FeedItemOut], **errors(401, 404)},
    operation_id="marketplace_helpers_api_my_feed",
)
def my_feed(request):
    """Open jobs near you that match your skills. Locations are approximate (about 1 km)."""
    return [
        {
            "job_id": item.job.pk,
            "category": item.job.category.slug,
            "city": item.job.city,
            "approx_lat": item.job.approx_lat,
            "approx_lng": item.job.approx_lng,
            "distance_km": round(item.distance_km, 1),
            "window_start": item.job.window_start.isoformat(),
            "window_end": item.job.window_end.isoformat(),
            "currency": item.job.currency,
            "helper_payout": item.job.helper_payout,
            "has_offer": item.offer is not None,
            "offer_expires_at": item.offer.expires_at.isoformat() if item.offer else None,
        }
        for item in selectors.nearby_open_jobs(profile=_helper_profile(request))
    ]


class PublicReviewOut(Schema):
    rating: int
    comment: str
    month: str = Field(description="YYYY-MM, in the market's time zone")


class PublicProfileOut(Schema):
    id: int
    name: str = Field(description="First name and initial only")
    bio: str
    skills: list[str] = Field(description="Category names")
    city: str
    market: str
    average_rating: float | None
    rating_count: int
    completed_jobs: int = Field(description="Jobs confirmed by customers")
    member_since: str = Field(description="YYYY-MM")
    reviews: list[PublicReviewOut] = Field(description="The latest reviews, newest first")


@helper_router.get(
    "/{helper_id}/public",
    response={200: PublicProfileOut, **errors(401, 404, 422)},
    operation_id="marketplace_helpers_api_public_profile_card",
)
def public_profile_card(request, helper_id: int):
    """A helper's public profile: customers see vetted helpers, operators any helper, a helper
    their own profile; 404 otherwise. No full name, contact details or location."""
    p = public_profiles.helper_public_profile(viewer=request.auth, profile_id=helper_id)
    return {
        "id": p.id,
        "name": p.name,
        "bio": p.bio,
        "skills": p.skills,
        "city": p.city,
        "market": p.market,
        "average_rating": p.average_rating,
        "rating_count": p.rating_count,
        "completed_jobs": p.completed_jobs,
        "member_since": p.member_since.strftime("%Y-%m"),
        "reviews": [
            {"rating": r.rating, "comment": r.comment, "month": r.month.strftime("%Y-%m")}
            for r in p.reviews
        ],
    }
