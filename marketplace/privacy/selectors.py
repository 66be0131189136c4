"""A person's data, as one JSON-ready document (the right of access / portability).

Only what concerns the person, and nothing that identifies someone else: jobs they posted (with
their own address), jobs they did as a helper (the customer's address only while the job is
still open, exactly as the helper's job page shows it; never the customer's name or phone after
that), messages they wrote, reviews they wrote and received (without the other person), the
money movements on their side of the ledger, notifications and preferences. Other people appear
at most as an id.
"""

from django.db.models import Q
from django.utils import timezone

from marketplace.accounts.models import User
from marketplace.helpers.models import HelperProfile
from marketplace.jobs.models import Dispute, JobOffer, JobRequest, Review
from marketplace.jobs.selectors import can_see_exact_location
from marketplace.messaging.models import Message
from marketplace.notifications.models import Notification
from marketplace.notifications.services import email_preferences
from marketplace.payments.models import (
    Account,
    InvoiceLine,
    LedgerEntry,
    Payment,
    PayoutAccount,
)
from marketplace.photos.models import JobPhoto

EXPORT_FORMAT = "fieldfriends-export/1"


def _dt(value):
    return value.isoformat() if value else None


def _profile(user: User) -> dict:
    return {
        "id": user.pk,
        "email": user.email,
        "full_name": user.full_name,
        "phone": user.phone,
        "role": user.role,
        "language": user.language,
        "date_joined": _dt(user.date_joined),
        "last_login": _dt(user.last_login),
        "is_active": user.is_active,
    }


def _helper_profile(user: User) -> dict | None:
    profile = HelperProfile.objects.filter(user=user).select_related("market").first()
    if profile is None:
        return None
    return {
        "market": profile.market.code,
        "bio": profile.bio,
        "languages": profile.languages,
        "home_address": profile.home_address,
        "city": profile.city,
        "lat": profile.lat,
        "lng": profile.lng,
        "service_radius_km": profile.service_radius_km,
        "status": profile.status,
        "status_reason": profile.status_reason,
        "is_available": profile.is_available,
        "skills": sorted(profile.skills.values_list("category__slug", flat=True)),
        "availability": [
            {"weekday": s.weekday, "start_hour": s.start_hour, "end_hour": s.end_hour}
            for s in profile.slots.order_by("weekday", "start_hour")
        ],
        "id_checked_at": _dt(profile.id_checked_at),
        "code_of_conduct_accepted_at": _dt(profile.code_of_conduct_accepted_at),
        "vetted_at": _dt(profile.vetted_at),
        "completed_jobs": profile.completed_jobs,
        "rating": profile.rating,
        "rating_count": profile.rating_count,
        "created_at": _dt(profile.created_at),
    }


def _job_common(job: JobRequest) -> dict:
    return {
        "id": job.pk,
        "market": job.market.code,
        "category": job.category.slug,
        "status": job.status,
        "fulfilment": job.fulfilment,
        "city": job.city,
        "approx_lat": job.approx_lat,
        "approx_lng": job.approx_lng,
        "window_start": _dt(job.window_start),
        "window_end": _dt(job.window_end),
        "currency": job.currency,
        "created_at": _dt(job.created_at),
        "accepted_at": _dt(job.accepted_at),
        "started_at": _dt(job.started_at),
        "completed_at": _dt(job.completed_at),
        "closed_at": _dt(job.closed_at),
    }


def _job_as_customer(job: JobRequest) -> dict:
    return {
        **_job_common(job),
        "description": job.description,
        "address": job.address,
        "contact_phone": job.contact_phone,
        "lat": job.lat,
        "lng": job.lng,
        "price": job.price,
        "professional_price": job.professional_price,
        "cancelled_by": job.cancelled_by,
        "cancel_reason": job.cancel_reason,
        "cancellation_fee": job.cancellation_fee,
        "completion_note": job.completion_note,
        "has_helper": job.assigned_helper_id is not None,
    }


def _job_as_helper(user: User, job: JobRequest) -> dict:
    exact = can_see_exact_location(user=user, job=job)
    return {
        **_job_common(job),
        "description": job.description,
        # The customer's exact whereabouts only while the job is open, as on the job page.
        "address": job.address if exact else None,
        "contact_phone": job.contact_phone if exact else None,
        "lat": job.lat if exact else None,
        "lng": job.lng if exact else None,
        "helper_payout": job.helper_payout,
        "completion_note": job.completion_note,
    }


def _review(review: Review, *, written: bool) -> dict:
    return {
        "job_id": review.job_id,
        "direction": review.direction,
        "rating": review.rating,
        "nps": review.nps if written else None,
        "comment": review.comment,
        "created_at": _dt(review.created_at),
    }


def _payment(payment: Payment) -> dict:
    return {
        "job_id": payment.job_id,
        "provider": payment.provider,
        "status": payment.status,
        "currency": payment.currency,
        "amount": payment.amount,
        "amount_captured": payment.amount_captured,
        "amount_refunded": payment.amount_refunded,
        "authorised_at": _dt(payment.authorised_at),
        "captured_at": _dt(payment.captured_at),
        "created_at": _dt(payment.created_at),
    }


def _ledger(entries) -> list[dict]:
    return [
        {
            "job_id": e.job_id,
            "kind": e.kind,
            "account": e.account,
            "amount": e.amount,
            "currency": e.currency,
            "created_at": _dt(e.created_at),
        }
        for e in entries.order_by("created_at", "id")
    ]


def export_for(*, user: User, now=None) -> dict:
    """Everything stored about `user` that is theirs to take, as plain JSON types."""
    now = now or timezone.now()
    jobs = JobRequest.objects.select_related("market", "category").order_by("created_at", "id")
    posted = jobs.filter(customer=user)
    done = jobs.filter(assigned_helper=user)
    ledger = LedgerEntry.objects.filter(
        Q(job__customer=user, account=Account.CUSTOMER)
        | Q(job__assigned_helper=user, account=Account.HELPER)
    )
    payout = PayoutAccount.objects.filter(helper=user).first()
    return {
        "format": EXPORT_FORMAT,
        "exported_at": _dt(now),
        "profile": _profile(user),
        "helper_profile": _helper_profile(user),
        "api_tokens": [
            {
                "name": t.name,
                "prefix": t.prefix,
                "created_at": _dt(t.created_at),
                "last_used_at": _dt(t.last_used_at),
                "revoked_at": _dt(t.revoked_at),
            }
            for t in user.api_tokens.order_by("created_at", "id")
        ],
        "jobs_as_customer": [_job_as_customer(job) for job in posted],
        "jobs_as_helper": [_job_as_helper(user, job) for job in done],
        "offers": [
            {
                "job_id": o.job_id,
                "status": o.status,
                "distance_km": o.distance_km,
                "sent_at": _dt(o.sent_at),
                "responded_at": _dt(o.responded_at),
            }
            for o in JobOffer.objects.filter(helper=user).order_by("sent_at", "id")
        ],
        "messages_written": [
            {"job_id": m.job_id, "body": m.body, "created_at": _dt(m.created_at)}
            for m in Message.objects.filter(author=user).order_by("created_at", "id")
        ],
        "photos_uploaded": [
            {
                "job_id": p.job_id,
                "kind": p.kind,
                "content_type": p.content_type,
                "size": p.size,
                "created_at": _dt(p.created_at),
            }
            for p in JobPhoto.objects.filter(uploaded_by=user).order_by("created_at", "id")
        ],
        "reviews_written": [
            _review(r, written=True)
            for r in Review.objects.filter(author=user).order_by("created_at", "id")
        ],
        "reviews_received": [
            _review(r, written=False)
            for r in Review.objects.filter(subject=user).order_by("created_at", "id")
        ],
        "disputes_opened": [
            {
                "job_id": d.job_id,
                "reason": d.reason,
                "outcome": d.outcome,
                "opened_at": _dt(d.opened_at),
                "resolved_at": _dt(d.resolved_at),
            }
            for d in Dispute.objects.filter(opened_by=user).order_by("opened_at", "id")
        ],
        "payments": [
            _payment(p) for p in Payment.objects.filter(job__customer=user).order_by("id")
        ],
        "invoice_lines": [
            {
                "job_id": line.job_id,
                "kind": line.kind,
                "amount": line.amount,
                "currency": line.currency,
                "period": line.period,
                "reference": line.reference,
                "created_at": _dt(line.created_at),
            }
            for line in InvoiceLine.objects.filter(customer=user).order_by("created_at", "id")
        ],
        "ledger": _ledger(ledger),
        "payout_account": None
        if payout is None
        else {
            "provider_account_id": payout.provider_account_id,
            "charges_enabled": payout.charges_enabled,
            "payouts_enabled": payout.payouts_enabled,
        },
        "notifications": [
            {
                "kind": n.kind,
                "job_id": n.job_id,
                "title": n.title,
                "body": n.body,
                "url": n.url,
                "created_at": _dt(n.created_at),
                "read_at": _dt(n.read_at),
            }
            for n in Notification.objects.filter(user=user).order_by("created_at", "id")
        ],
        "preferences": {"language": user.language, "email": email_preferences(user=user)},
    }
