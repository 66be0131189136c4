from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from marketplace.jobs.expressions import WaitMicroseconds
from marketplace.pricing.models import Market, ServiceCategory


class JobStatus(models.TextChoices):
    OPEN = "open", _("Looking for a helper")
    OFFERED = "offered", _("Offered to helpers")
    ACCEPTED = "accepted", _("Helper assigned")
    IN_PROGRESS = "in_progress", _("Helper on site")
    COMPLETED = "completed", _("Done, waiting for your confirmation")
    CONFIRMED = "confirmed", _("Confirmed")
    CANCELLED = "cancelled", _("Cancelled")
    EXPIRED = "expired", _("No helper found")
    DISPUTED = "disputed", _("In dispute")
    PROFESSIONAL = "professional", _("Professional visit booked")


OFFERABLE = (JobStatus.OPEN, JobStatus.OFFERED)
ASSIGNED = (JobStatus.ACCEPTED, JobStatus.IN_PROGRESS, JobStatus.COMPLETED, JobStatus.DISPUTED)
# PROFESSIONAL: handed over to the provider's technicians; closed for the helper marketplace.
CLOSED = (JobStatus.CONFIRMED, JobStatus.CANCELLED, JobStatus.EXPIRED, JobStatus.PROFESSIONAL)


class Fulfilment(models.TextChoices):
    HELPER = "helper", _("Community helper")
    PROFESSIONAL = "professional", _("Professional technician")


class LocationPrecision(models.TextChoices):
    """How exactly a job's point is known (DESIGN §4): what the geocoder resolved."""

    STREET = "street", _("Street address")
    POSTCODE = "postcode", _("Postcode")
    TOWN = "town", _("Town centre")
    DEVICE = "device", _("Device GPS")


class JobRequest(models.Model):
    """A customer's request for on-site help, from posting to confirmation.

    Money fields are the quote the customer agreed to at booking, in minor units of `currency`;
    they never change afterwards. `approx_lat`/`approx_lng` are the privacy-snapped point helpers
    see before acceptance; the exact address is shown only to the assigned helper while open."""

    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="job_requests"
    )
    market = models.ForeignKey(Market, on_delete=models.PROTECT, related_name="jobs")
    category = models.ForeignKey(ServiceCategory, on_delete=models.PROTECT, related_name="jobs")
    description = models.TextField(max_length=4000)
    address = models.CharField(max_length=300, blank=True)
    city = models.CharField(max_length=100, blank=True)
    contact_phone = models.CharField(max_length=32, blank=True)
    lat = models.FloatField()
    lng = models.FloatField()
    approx_lat = models.FloatField()
    approx_lng = models.FloatField()
    # Street-level from a full geocoder, the town centre from the offline gazetteer, or the
    # device's own coordinates; jobs from before this was recorded count as town centre.
    location_precision = models.CharField(
        max_length=8, choices=LocationPrecision.choices, default=LocationPrecision.TOWN
    )
    window_start = models.DateTimeField()
    window_end = models.DateTimeField()
    status = models.CharField(
        max_length=16, choices=JobStatus.choices, default=JobStatus.OPEN, db_index=True
    )
    # `choice`: what the customer picked at posting, after seeing both prices (never changes;
    # the pilot's demand model reads it). `fulfilment`: who finally does the job (a professional
    # after the fallback, too).
    choice = models.CharField(max_length=16, choices=Fulfilment.choices, default=Fulfilment.HELPER)
    fulfilment = models.CharField(
        max_length=16, choices=Fulfilment.choices, default=Fulfilment.HELPER
    )
    assigned_helper = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_jobs",
    )
    dispatch_step = models.PositiveSmallIntegerField(default=0)
    currency = models.CharField(max_length=3)
    price = models.PositiveIntegerField()
    platform_fee = models.PositiveIntegerField()
    helper_payout = models.PositiveIntegerField()
    # What a technician visit costs this customer (0 when installation is free for them), and
    # the technician's list price before any free-installation offer.
    professional_price = models.PositiveIntegerField()
    professional_list_price = models.PositiveIntegerField(default=0)
    professional_install_free = models.BooleanField(default=False)
    cancelled_by = models.CharField(max_length=16, blank=True)
    cancel_reason = models.CharField(max_length=500, blank=True)
    cancellation_fee = models.PositiveIntegerField(default=0)
    completion_note = models.TextField(blank=True, max_length=4000)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # Posting → acceptance in microseconds, kept by the database itself (NULL until accepted):
    # the economics percentiles and "filled within T" read it through an index.
    accept_wait_us = models.GeneratedField(
        expression=WaitMicroseconds(), output_field=models.BigIntegerField(), db_persist=True
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-created_at"], name="job_customer_recent"),
            # Pilot reports: one market's requests over a period. Covering for the quote/choice
            # summary (no table lookups over a month of jobs: 50 ms instead of 1.4 s at 1M jobs)
            # and for the operator economics (the columns after professional_price).
            models.Index(
                fields=[
                    "market",
                    "created_at",
                    "category",
                    "choice",
                    "professional_install_free",
                    "price",
                    "professional_price",
                    "professional_list_price",
                    "status",
                    "fulfilment",
                    "accepted_at",
                    "completed_at",
                    "cancelled_by",
                    "customer",
                    "assigned_helper",
                    "lat",
                    "lng",
                ],
                name="job_market_report",
            ),
            models.Index(fields=["assigned_helper", "status"], name="job_helper_status"),
            # Economics (economics/rolled.py): the accepted jobs of a market within a range of
            # waiting times (the median's or the fill rate's minute), without reading the rest.
            models.Index(
                fields=["market", "accept_wait_us", "created_at", "category", "choice"],
                name="job_market_wait",
                condition=Q(accept_wait_us__isnull=False),
            ),
            # Economics (economics/people.py): distinct customers (repeat rate) and helpers
            # with confirmed jobs (utilisation, retention) of a period, from the index alone:
            # the period's entries grouped per person ("scan"), or one seek per person
            # ("probe"), whichever reads less.
            models.Index(
                fields=["market", "created_at", "customer", "category"],
                name="job_market_posted_customer",
            ),
            models.Index(
                fields=["market", "customer", "created_at", "category"],
                name="job_market_customer",
            ),
            # Economics area map (economics/rolled.py): a period's requests per grid cell.
            models.Index(
                fields=["market", "created_at", "lat", "lng", "choice", "accepted_at", "category"],
                name="job_market_posted_area",
            ),
            models.Index(
                fields=["market", "status", "created_at", "assigned_helper", "category"],
                name="job_market_status_posted",
            ),
            models.Index(
                fields=["market", "status", "assigned_helper", "created_at", "category"],
                name="job_market_status_helper",
            ),
            # Helpers' nearby feed: open jobs in a lat range (exact point, as acceptance uses).
            models.Index(
                fields=["lat", "lng"],
                name="job_open_geo_exact",
                condition=Q(status__in=["open", "offered"]),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(platform_fee__lte=F("price"))
                & Q(helper_payout=F("price") - F("platform_fee")),
                name="job_fee_plus_payout_is_price",
            ),
            models.CheckConstraint(
                condition=Q(window_start__lt=F("window_end")), name="job_window_ordered"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["open", "offered", "expired", "cancelled"])
                | Q(assigned_helper__isnull=False)
                | Q(fulfilment="professional"),
                name="job_assigned_states_have_helper",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.category} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status in OFFERABLE

    @property
    def is_closed(self) -> bool:
        return self.status in CLOSED


class OfferStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for answer")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    EXPIRED = "expired", _("Expired")


class JobOffer(models.Model):
    """A job offered to one helper in one dispatch step, with a deadline."""

    job = models.ForeignKey(JobRequest, on_delete=models.CASCADE, related_name="offers")
    helper = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="job_offers"
    )
    step = models.PositiveSmallIntegerField(default=0)
    distance_km = models.FloatField()
    status = models.CharField(
        max_length=16, choices=OfferStatus.choices, default=OfferStatus.PENDING
    )
    sent_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    responded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-sent_at", "-id"]
        indexes = [
            models.Index(fields=["helper", "status"], name="offer_helper_status"),
            models.Index(
                fields=["expires_at"], name="offer_pending_due", condition=Q(status="pending")
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["job", "helper"], name="offer_once_per_helper"),
            models.UniqueConstraint(
                fields=["job"], condition=Q(status="accepted"), name="offer_one_accepted_per_job"
            ),
        ]

    def __str__(self) -> str:
        return f"offer job={self.job_id} helper={self.helper_id} {self.status}"


class JobEvent(models.Model):
    """Append-only audit trail: one row per state change or notable action on a job."""

    job = models.ForeignKey(JobRequest, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    kind = models.CharField(max_length=32)
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["job", "created_at"], name="event_job_time"),
            # What changed since the economics rollup's last refresh (economics.rollup).
            models.Index(fields=["created_at"], name="event_created"),
            # Economics: "did this job expire?" probes a small index, not all of a job's events.
            models.Index(fields=["job"], name="event_expired_job", condition=Q(kind="expired")),
        ]

    def __str__(self) -> str:
        return f"{self.kind} job={self.job_id}"


class ReviewDirection(models.TextChoices):
    OF_HELPER = "of_helper", _("Customer rates helper")
    OF_CUSTOMER = "of_customer", _("Helper rates customer")


class Review(models.Model):
    job = models.ForeignKey(JobRequest, on_delete=models.CASCADE, related_name="reviews")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reviews_received"
    )
    direction = models.CharField(max_length=16, choices=ReviewDirection.choices)
    rating = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    nps = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MaxValueValidator(10)],
        help_text="How likely to recommend us, 0–10 (customers only)",
    )
    comment = models.TextField(blank=True, max_length=2000)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["job", "direction"], name="review_once_per_side"),
            models.CheckConstraint(
                condition=Q(rating__gte=1, rating__lte=5), name="review_rating_1_to_5"
            ),
            models.CheckConstraint(
                condition=Q(nps__isnull=True) | Q(nps__lte=10), name="review_nps_0_to_10"
            ),
        ]
        indexes = [
            # Economics: NPS and CSAT of a period's jobs read from the index alone.
            models.Index(fields=["created_at"], name="review_created"),  # economics.rollup
            models.Index(fields=["job", "direction", "rating", "nps"], name="review_job_scores"),
        ]

    def __str__(self) -> str:
        return f"{self.rating}★ job={self.job_id}"


class DisputeOutcome(models.TextChoices):
    CONFIRM = "confirm", "Confirmed for the helper"
    REFUND = "refund", "Refunded to the customer"


class Dispute(models.Model):
    """A customer's objection to a completed job (the job is DISPUTED until an operator decides).

    One per job: a dispute can be opened only from COMPLETED and the decision closes the job.
    `refund_amount` is what the customer got back (minor units), 0 when confirmed for the helper.
    """

    job = models.OneToOneField(JobRequest, on_delete=models.CASCADE, related_name="dispute")
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(max_length=2000)
    opened_at = models.DateTimeField(default=timezone.now)
    outcome = models.CharField(max_length=16, choices=DisputeOutcome.choices, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolution_note = models.TextField(max_length=2000, blank=True)
    refund_amount = models.PositiveIntegerField(default=0)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        indexes = [
            models.Index(
                fields=["opened_at"], name="dispute_open", condition=Q(resolved_at__isnull=True)
            ),
        ]

    def __str__(self) -> str:
        return f"dispute job={self.job_id} {self.outcome or 'open'}"

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None
