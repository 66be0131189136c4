"""Erasure (the right to be forgotten) and retention limits.

Erasure anonymises a person instead of deleting rows: money and audit rows (payments, ledger
entries, invoice lines, job events, price changes) must stay for accounting and keep pointing at
the user id, which no longer leads to a name, an e-mail address, a phone number, an exact
address or anything the person wrote. Photos are deleted (rows, and files once the transaction
commits). The account is deactivated, its sessions end and its API tokens are revoked.

Retention blanks or deletes what is only needed while a job runs, some days after it closed.
Both are idempotent: running them again changes nothing more.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from marketplace.accounts.models import User
from marketplace.accounts.sessions import user_end_all_sessions
from marketplace.core import geo
from marketplace.core.errors import InvalidTransition, NotAllowed
from marketplace.helpers.models import HelperProfile, HelperStatus
from marketplace.jobs.models import CLOSED, Dispute, JobEvent, JobRequest, Review
from marketplace.messaging.models import Message, ThreadRead
from marketplace.notifications.models import EmailPreference, Notification
from marketplace.payments.models import CallStatus, Payment, PaymentStatus, ProviderCall
from marketplace.photos.models import JobPhoto
from marketplace.privacy.models import ErasureRecord

ERASED = "[erased]"
# Keys of JobEvent.data that hold free text someone typed (cancel/release/dispute reasons, notes).
FREE_TEXT_KEYS = ("reason", "note", "comment", "message", "text")
UNSETTLED_PAYMENTS = (
    PaymentStatus.PENDING,
    PaymentStatus.REQUIRES_ACTION,
    PaymentStatus.AUTHORISED,
)

OPEN_JOBS_MESSAGE = _(
    "You have a job that is still open or assigned. Erasing your data now would lose what that "
    "job needs: finish or cancel it first, then try again."
)
UNSETTLED_MESSAGE = _(
    "A payment of yours is not settled yet. Erasing your data now would lose what the payment "
    "needs: try again once it is captured or released."
)


def erasure_refusal(*, user: User) -> str:
    """Why `user` cannot be erased right now ("" when they can)."""
    if JobRequest.objects.filter(
        Q(customer=user) | Q(assigned_helper=user), ~Q(status__in=CLOSED)
    ).exists():
        return str(OPEN_JOBS_MESSAGE)
    mine = Q(job__customer=user) | Q(job__assigned_helper=user)
    if Payment.objects.filter(mine, status__in=UNSETTLED_PAYMENTS).exists():
        return str(UNSETTLED_MESSAGE)
    call_of_mine = Q(payment__job__customer=user) | Q(payment__job__assigned_helper=user)
    if ProviderCall.objects.filter(call_of_mine, status=CallStatus.PENDING).exists():
        return str(UNSETTLED_MESSAGE)
    return ""


def _scrub_event_data(events) -> int:
    changed = 0
    for event in events.only("id", "data"):
        data = dict(event.data or {})
        keys = [k for k in FREE_TEXT_KEYS if isinstance(data.get(k), str) and data[k] != ERASED]
        if keys:
            data.update({k: ERASED for k in keys if data[k]})
            JobEvent.objects.filter(pk=event.pk).update(data=data)
            changed += 1
    return changed


def _delete_photos(photos) -> int:
    """Delete photo rows now and their files once the deletion has committed."""
    photos = list(photos)
    if not photos:
        return 0
    storage = photos[0].image.storage
    names = [p.image.name for p in photos if p.image.name]
    JobPhoto.objects.filter(pk__in=[p.pk for p in photos]).delete()

    def remove_files():
        for name in names:
            storage.delete(name)

    transaction.on_commit(remove_files)
    return len(photos)


def _erased_if_set(field: str):
    """`field` → "[erased]" where it has text (empty stays empty)."""
    return {"filter": ~Q(**{field: ""}) & ~Q(**{field: ERASED}), "update": {field: ERASED}}


def _blank_exact_location(jobs) -> int:
    """Exact address and phone gone, the point snapped to the job's approximate one."""
    return jobs.exclude(
        address="", contact_phone="", lat=F("approx_lat"), lng=F("approx_lng")
    ).update(address="", contact_phone="", lat=F("approx_lat"), lng=F("approx_lng"))


@transaction.atomic
def user_erase(*, user: User, via: str = "web", now: datetime | None = None) -> ErasureRecord:
    """Anonymise everything that identifies `user`; keep money and audit rows (by id only).
    Refused (409) while the user has an open or assigned job or an unsettled payment."""
    now = now or timezone.now()
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.is_operator:
        raise NotAllowed("Operator accounts are managed in the admin")
    refusal = erasure_refusal(user=user)
    if refusal:
        raise InvalidTransition(refusal, code="erasure_refused")

    counts: dict[str, int] = {}
    posted = JobRequest.objects.filter(customer=user)
    done = JobRequest.objects.filter(assigned_helper=user)

    counts["jobs_located"] = _blank_exact_location(posted)
    for field in ("description", "cancel_reason", "completion_note"):
        rule = _erased_if_set(field)
        counts[f"jobs_{field}"] = posted.filter(rule["filter"]).update(**rule["update"])
    rule = _erased_if_set("completion_note")
    counts["jobs_done_completion_note"] = done.filter(rule["filter"]).update(**rule["update"])

    counts["job_events"] = _scrub_event_data(
        JobEvent.objects.filter(Q(job__customer=user) | Q(actor=user))
    )
    counts["messages"] = (
        Message.objects.filter(Q(author=user) | Q(job__customer=user))
        .exclude(body=ERASED)
        .update(body=ERASED)
    )
    ThreadRead.objects.filter(user=user).delete()
    rule = _erased_if_set("comment")
    counts["reviews"] = (
        Review.objects.filter(Q(author=user) | Q(subject=user))
        .filter(rule["filter"])
        .update(**rule["update"])
    )
    counts["disputes"] = (
        Dispute.objects.filter(Q(opened_by=user) | Q(job__customer=user))
        .exclude(reason=ERASED)
        .update(reason=ERASED)
    )
    Dispute.objects.filter(job__customer=user).filter(
        _erased_if_set("resolution_note")["filter"]
    ).update(resolution_note=ERASED)
    counts["photos"] = _delete_photos(
        JobPhoto.objects.filter(Q(uploaded_by=user) | Q(job__customer=user))
    )
    counts["notifications"] = Notification.objects.filter(user=user).delete()[0]
    EmailPreference.objects.filter(user=user).delete()

    profile = HelperProfile.objects.filter(user=user).first()
    if profile is not None:
        # Home snapped to its approximate point; withdrawn from matching for good.
        profile.lat, profile.lng = geo.approx_point(profile.lat, profile.lng)
        profile.bio = ERASED if profile.bio else ""
        profile.home_address = ""
        profile.status = HelperStatus.SUSPENDED
        profile.status_reason = "Account erased at the person's request"
        profile.is_available = False
        profile.save()  # also recomputes the matching index band from the new latitude
        counts["helper_profile"] = 1

    counts["api_tokens"] = user_end_all_sessions(user=user, revoke_tokens=True)
    user.refresh_from_db()
    user.email = f"erased-{user.pk}@invalid"
    user.full_name = ""
    user.phone = ""
    user.language = ""
    user.is_active = False
    user.set_unusable_password()
    user.save(update_fields=["email", "full_name", "phone", "language", "is_active", "password"])
    return ErasureRecord.objects.create(user_id=user.pk, erased_at=now, via=via, counts=counts)


# --- Retention -------------------------------------------------------------------------------


def _closed_before(days: int, now: datetime) -> Q | None:
    if not days:
        return None
    return Q(status__in=CLOSED, closed_at__lt=now - timedelta(days=days))


@transaction.atomic
def retention_apply(*, now: datetime | None = None) -> dict[str, int]:
    """Blank the exact address and phone of jobs closed more than RETENTION_DAYS_JOB_ADDRESS
    days ago; delete messages and photos of jobs closed more than RETENTION_DAYS_MESSAGES /
    _PHOTOS days ago and notifications older than RETENTION_DAYS_NOTIFICATIONS. Idempotent."""
    now = now or timezone.now()
    done = {"job_addresses": 0, "messages": 0, "photos": 0, "notifications": 0}
    if (q := _closed_before(settings.RETENTION_DAYS_JOB_ADDRESS, now)) is not None:
        done["job_addresses"] = _blank_exact_location(JobRequest.objects.filter(q))
    if (q := _closed_before(settings.RETENTION_DAYS_MESSAGES, now)) is not None:
        jobs = JobRequest.objects.filter(q).values("pk")
        done["messages"] = Message.objects.filter(job__in=jobs).delete()[0]
        ThreadRead.objects.filter(job__in=jobs).delete()
    if (q := _closed_before(settings.RETENTION_DAYS_PHOTOS, now)) is not None:
        jobs = JobRequest.objects.filter(q).values("pk")
        done["photos"] = _delete_photos(JobPhoto.objects.filter(job__in=jobs))
    if days := settings.RETENTION_DAYS_NOTIFICATIONS:
        old = Notification.objects.filter(created_at__lt=now - timedelta(days=days))
        done["notifications"] = old.delete()[0]
    return done
