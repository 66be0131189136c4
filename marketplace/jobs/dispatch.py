"""Dispatch: offer a job to the best k helpers, widen the radius when nobody answers, and fall
back to a professional visit when the last step has passed (DESIGN §4)."""

from contextlib import suppress
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from marketplace.core.errors import InvalidTransition
from marketplace.helpers.availability import window_hours
from marketplace.helpers.selectors import helpers_near
from marketplace.jobs.models import OFFERABLE, JobOffer, JobRequest, JobStatus, OfferStatus
from marketplace.jobs.transitions import record_event, transition
from marketplace.notifications import messages as notify


def withdraw_pending_offers(*, job: JobRequest, now: datetime) -> int:
    return JobOffer.objects.filter(job=job, status=OfferStatus.PENDING).update(
        status=OfferStatus.WITHDRAWN, responded_at=now
    )


@transaction.atomic
def job_expire(*, job: JobRequest, now: datetime | None = None) -> JobRequest:
    """No helper in time: close the helper search and offer the professional visit instead."""
    now = now or timezone.now()
    job = transition(
        job=job,
        to=JobStatus.EXPIRED,
        allowed_from=OFFERABLE,
        kind="expired",
        data={"fallback": "professional", "professional_price": job.professional_price},
        closed_at=now,
    )
    withdraw_pending_offers(job=job, now=now)
    notify.job_expired(job=job)
    return job


@transaction.atomic
def job_dispatch(
    *, job: JobRequest, now: datetime | None = None, advance: bool = False
) -> list[JobOffer]:
    """Send offers for the job's current radius step (the next one when `advance`).

    Steps with nobody new in range are skipped at once; after the last one the job expires, as
    it does when its time window has passed. Helpers who were offered the job are not asked
    again, except those whose offer was only withdrawn because someone else accepted (the job
    is back after a release). Locks the job row so two dispatchers (worker + a decline) cannot
    both send a round; advancing is a no-op while offers of the current round are pending.
    """
    now = now or timezone.now()
    job = JobRequest.objects.select_for_update().select_related("market", "category").get(pk=job.pk)
    if job.status not in OFFERABLE:
        return []
    if job.window_end <= now:
        job_expire(job=job, now=now)
        return []
    offers = JobOffer.objects.filter(job=job)
    if advance and offers.filter(status=OfferStatus.PENDING).exists():
        return []  # another caller already sent the next round
    market = job.market
    steps = market.radius_steps
    step = min(job.dispatch_step + (1 if advance else 0), len(steps))
    already = set(offers.exclude(status=OfferStatus.WITHDRAWN).values_list("helper_id", flat=True))
    already.add(job.customer_id)
    withdrawn = dict(offers.filter(status=OfferStatus.WITHDRAWN).values_list("helper_id", "pk"))
    hours = window_hours(max(job.window_start, now), job.window_end, market.time_zone)
    while step < len(steps):
        candidates = helpers_near(
            lat=job.lat,
            lng=job.lng,
            skill_mask=job.category.mask,
            hours=hours,
            max_radius_km=steps[step],
            k=market.dispatch_k,
            exclude_user_ids=already,
        )
        if candidates:
            expires = now + timedelta(minutes=market.offer_deadline_minutes)
            sent = [
                JobOffer(
                    pk=withdrawn.get(c.user_id),
                    job=job,
                    helper_id=c.user_id,
                    step=step,
                    distance_km=round(c.distance_km, 3),
                    status=OfferStatus.PENDING,
                    sent_at=now,
                    expires_at=expires,
                    responded_at=None,
                )
                for c in candidates
            ]
            # One row per (job, helper): a withdrawn offer is reopened rather than duplicated.
            for offer in sent:
                if offer.pk is not None:
                    offer.save(force_update=True)
            JobOffer.objects.bulk_create([o for o in sent if o.pk is None])
            JobRequest.objects.filter(pk=job.pk).update(dispatch_step=step)
            if job.status == JobStatus.OPEN:
                transition(
                    job=job,
                    to=JobStatus.OFFERED,
                    allowed_from=(JobStatus.OPEN,),
                    kind="offered",
                    data={
                        "step": step,
                        "radius_km": steps[step],
                        "helpers": [c.user_id for c in candidates],
                    },
                )
            else:
                record_event(
                    job=job,
                    kind="offered",
                    data={
                        "step": step,
                        "radius_km": steps[step],
                        "helpers": [c.user_id for c in candidates],
                    },
                )
            notify.new_offer(offers=sent)
            return sent
        step += 1
    JobRequest.objects.filter(pk=job.pk).update(dispatch_step=len(steps) - 1)
    job_expire(job=job, now=now)
    return []


def offers_expire_due(*, now: datetime | None = None) -> int:
    """Expire unanswered offers; jobs left with none pending move to the next radius step."""
    now = now or timezone.now()
    due_jobs = set(
        JobOffer.objects.filter(status=OfferStatus.PENDING, expires_at__lte=now).values_list(
            "job_id", flat=True
        )
    )
    JobOffer.objects.filter(status=OfferStatus.PENDING, expires_at__lte=now).update(
        status=OfferStatus.EXPIRED, responded_at=now
    )
    for job in JobRequest.objects.filter(pk__in=due_jobs, status__in=OFFERABLE):
        if not job.offers.filter(status=OfferStatus.PENDING).exists():
            job_dispatch(job=job, now=now, advance=True)
    # Jobs whose window has passed without a helper expire to the professional fallback.
    for job in JobRequest.objects.filter(status__in=OFFERABLE, window_end__lte=now):
        with suppress(InvalidTransition):  # accepted in the meantime: nothing to do
            job_expire(job=job, now=now)
    return len(due_jobs)
