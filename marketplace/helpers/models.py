import math

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.lookups import GreaterThan, LessThanOrEqual
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from marketplace.pricing.models import Market, ServiceCategory

HOURS_PER_WEEK = 7 * 24
NO_AVAILABILITY = "0" * HOURS_PER_WEEK


class HelperStatus(models.TextChoices):
    APPLIED = "applied", _("Applied, waiting for vetting")
    VETTED = "vetted", _("Vetted")
    REJECTED = "rejected", _("Rejected")
    SUSPENDED = "suspended", _("Suspended")


# Matching's index is on (lat_band, lng): a band is 1/LAT_BANDS_PER_DEGREE degree of latitude
# (~1.1 km), so a search box becomes a few tight lng range scans instead of one lat strip that
# spans the whole width of a city.
LAT_BANDS_PER_DEGREE = 100


def lat_band(lat: float) -> int:
    return math.floor(lat * LAT_BANDS_PER_DEGREE)


class HelperProfileQuerySet(models.QuerySet):
    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        for obj in objs:
            obj.lat_band = lat_band(obj.lat)
        return super().bulk_create(objs, *args, **kwargs)


class HelperProfile(models.Model):
    """A community helper. Skills and weekly availability live in their own tables (the truth,
    edited through services) and are mirrored here as `skills_mask` and `availability_hours` so
    that matching is one indexed query with no joins."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="helper_profile"
    )
    market = models.ForeignKey(Market, on_delete=models.PROTECT, related_name="helpers")
    bio = models.TextField(blank=True, max_length=2000)
    languages = models.CharField(max_length=64, default="en", help_text="Comma-separated codes")
    home_address = models.CharField(max_length=300, blank=True)
    city = models.CharField(max_length=100, blank=True)
    lat = models.FloatField()
    lng = models.FloatField()
    lat_band = models.IntegerField(editable=False, help_text="floor(lat × 100), set on save")
    service_radius_km = models.PositiveSmallIntegerField(
        default=10, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    status = models.CharField(
        max_length=16, choices=HelperStatus.choices, default=HelperStatus.APPLIED
    )
    is_available = models.BooleanField(default=True, help_text="Helper's own pause switch")
    payouts_ready = models.BooleanField(
        default=False,
        editable=False,
        help_text="Card payments: the helper's payout account can receive money (mirrored from "
        "the payment provider)",
    )
    id_checked_at = models.DateTimeField(null=True, blank=True)
    code_of_conduct_accepted_at = models.DateTimeField(null=True, blank=True)
    vetted_at = models.DateTimeField(null=True, blank=True)
    vetted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    status_reason = models.CharField(max_length=300, blank=True)
    skills_mask = models.BigIntegerField(default=0, editable=False)
    availability_hours = models.CharField(
        max_length=HOURS_PER_WEEK, default=NO_AVAILABILITY, editable=False
    )
    max_active_jobs = models.PositiveSmallIntegerField(default=2)
    active_jobs = models.PositiveSmallIntegerField(default=0, editable=False)
    completed_jobs = models.PositiveIntegerField(default=0, editable=False)
    rating_sum = models.PositiveIntegerField(default=0, editable=False)
    rating_count = models.PositiveIntegerField(default=0, editable=False)
    # Bayesian average (two phantom 4★ reviews) so a new helper is neither first nor last.
    rating = models.FloatField(default=4.0, editable=False)
    # Unix seconds of the last assignment (0 = never): matching puts long-idle helpers first.
    # An integer, not a datetime, because matching reads it for every shortlisted row.
    last_assigned_epoch = models.BigIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(default=timezone.now)

    objects = HelperProfileQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        indexes = [
            # Matching's only access path: per latitude band, a lng range scan over matchable
            # helpers. Covering (every column matching reads), so no table lookups.
            models.Index(
                fields=[
                    "lat_band",
                    "lng",
                    "lat",
                    "skills_mask",
                    "active_jobs",
                    "max_active_jobs",
                    "service_radius_km",
                    "rating",
                    "last_assigned_epoch",
                    "user_id",
                    "availability_hours",
                    "status",
                    "is_available",
                    "payouts_ready",
                    "id",  # PostgreSQL needs it for an index-only scan (SQLite has the rowid)
                ],
                name="helper_match_covering",
                condition=Q(status="vetted", is_available=True),
            ),
            # The vetting queue. Partial on purpose: an index leading with `status` would tempt
            # SQLite's planner away from helper_match_band for matching's status='vetted' filter.
            models.Index(
                fields=["created_at"],
                name="helper_applied_created",
                condition=Q(status="applied"),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(lat__gte=-90, lat__lte=90) & Q(lng__gte=-180, lng__lte=180),
                name="helper_coordinates_valid",
            ),
            # lat_band == floor(lat * 100), in the database's own arithmetic.
            models.CheckConstraint(
                condition=LessThanOrEqual(F("lat_band"), F("lat") * LAT_BANDS_PER_DEGREE)
                & GreaterThan(F("lat_band") + 1, F("lat") * LAT_BANDS_PER_DEGREE),
                name="helper_lat_band_matches_lat",
            ),
            models.CheckConstraint(
                condition=Q(active_jobs__lte=models.F("max_active_jobs")),
                name="helper_load_within_max",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user.display_name} ({self.get_status_display()})"

    def save(self, *args, **kwargs):
        self.lat_band = lat_band(self.lat)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "lat" in update_fields:
            kwargs["update_fields"] = {*update_fields, "lat_band"}
        super().save(*args, **kwargs)

    @property
    def is_matchable(self) -> bool:
        return self.status == HelperStatus.VETTED and self.is_available and self.user.is_active

    @property
    def has_capacity(self) -> bool:
        return self.active_jobs < self.max_active_jobs

    def has_skill(self, category: ServiceCategory) -> bool:
        return bool(self.skills_mask & category.mask)


class HelperSkill(models.Model):
    helper = models.ForeignKey(HelperProfile, on_delete=models.CASCADE, related_name="skills")
    category = models.ForeignKey(ServiceCategory, on_delete=models.PROTECT, related_name="+")
    years_experience = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["helper", "category"]
        constraints = [
            models.UniqueConstraint(fields=["helper", "category"], name="helper_skill_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.helper_id}:{self.category.slug}"


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class AvailabilitySlot(models.Model):
    """A weekly recurring window in the market's local time: weekday, [start_hour, end_hour)."""

    helper = models.ForeignKey(HelperProfile, on_delete=models.CASCADE, related_name="slots")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    start_hour = models.PositiveSmallIntegerField(validators=[MaxValueValidator(23)])
    end_hour = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(24)]
    )

    class Meta:
        ordering = ["helper", "weekday", "start_hour"]
        constraints = [
            models.CheckConstraint(
                condition=Q(start_hour__lt=models.F("end_hour"))
                & Q(end_hour__lte=24)
                & Q(weekday__lte=6),
                name="slot_hours_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start_hour:02d}:00–{self.end_hour:02d}:00"
