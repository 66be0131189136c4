"""Supply/demand figures per market × area cell × category × day (DESIGN §5, §7).

Rows are derived data: `supply_refresh` (services.py) recomputes them from jobs and offers, and
may delete and rewrite them at any time. Nothing else writes here.

Attribution ("cohort" by posting): every figure of a row is about the requests *posted* on that
day (in the market's time zone) in that cell and category, whatever happened to them later: the
offers sent for them, whether a helper accepted them (at any time), whether they expired to the
professional fallback. A day's figures therefore change while its jobs are still running, and
recomputing a day gives the same numbers as long as its jobs and the helpers did not change.
"""

from django.db import models
from django.db.models import F, Q

from marketplace.pricing.models import Market, ServiceCategory


class SupplyDemandStat(models.Model):
    market = models.ForeignKey(Market, on_delete=models.CASCADE, related_name="+")
    category = models.ForeignKey(ServiceCategory, on_delete=models.CASCADE, related_name="+")
    period = models.DateField(help_text="The day the requests were posted, market time zone")
    cell_km = models.PositiveSmallIntegerField(help_text="Grid size the cell belongs to")
    cell_y = models.IntegerField(help_text="floor(lat / dlat)")
    cell_x = models.IntegerField(help_text="floor(lng / dlng), dlng at the market's latitude")

    requests_posted = models.PositiveIntegerField(
        default=0, help_text="Requests for a helper (not those booked as professional visits)"
    )
    jobs_accepted = models.PositiveIntegerField(
        default=0,
        help_text="Requests a helper accepted (an acceptance the helper released does not count)",
    )
    jobs_expired = models.PositiveIntegerField(
        default=0,
        help_text="Requests that expired without a helper (offered the professional fallback)",
    )
    offers_sent = models.PositiveIntegerField(default=0)
    offers_accepted = models.PositiveIntegerField(default=0)
    offers_declined = models.PositiveIntegerField(default=0)
    offers_expired = models.PositiveIntegerField(default=0)
    active_helpers = models.PositiveIntegerField(
        default=0,
        help_text="Vetted, available helpers with the skill whose radius covers the cell centre "
        "(snapshot at computed_at)",
    )
    active_helpers_any_skill = models.PositiveIntegerField(
        default=0, help_text="The same without the skill test, for all-category figures"
    )
    accept_seconds_sum = models.PositiveBigIntegerField(
        default=0, help_text="Sum of posting → acceptance times of the accepted requests"
    )
    median_accept_seconds = models.PositiveIntegerField(null=True, blank=True)
    p90_accept_seconds = models.PositiveIntegerField(null=True, blank=True)
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["market", "period", "cell_y", "cell_x", "category"]
        constraints = [
            models.UniqueConstraint(
                fields=["market", "cell_km", "cell_y", "cell_x", "category", "period"],
                name="supply_stat_unique_cell_day",
            ),
            models.CheckConstraint(
                condition=Q(jobs_accepted__lte=F("requests_posted"))
                & Q(jobs_expired__lte=F("requests_posted")),
                name="supply_stat_jobs_within_posted",
            ),
            models.CheckConstraint(
                condition=Q(
                    offers_sent__gte=F("offers_accepted")
                    + F("offers_declined")
                    + F("offers_expired")
                ),
                name="supply_stat_offers_within_sent",
            ),
            models.CheckConstraint(
                condition=Q(median_accept_seconds__isnull=True)
                | Q(p90_accept_seconds__gte=F("median_accept_seconds")),
                name="supply_stat_median_le_p90",
            ),
        ]
        indexes = [
            # The selectors: one market, one grid, a date range (then cells and categories).
            models.Index(fields=["market", "cell_km", "period"], name="supply_stat_market_period"),
            # The economics area map: the most helpers per cell over a period, index only.
            models.Index(
                fields=[
                    "market",
                    "cell_km",
                    "period",
                    "cell_y",
                    "cell_x",
                    "category",
                    "active_helpers",
                    "active_helpers_any_skill",
                ],
                name="supply_stat_period_helpers",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.market_id} {self.period} {self.cell_y}:{self.cell_x} cat={self.category_id}"


class SupplyRefreshRun(models.Model):
    """One run of `supply_refresh`: when, what it recomputed. The latest run's `ran_at` is where
    the next incremental run starts looking for changed jobs and offers."""

    ran_at = models.DateTimeField(db_index=True)
    incremental = models.BooleanField()
    days_recomputed = models.PositiveIntegerField(default=0)
    rows_written = models.PositiveIntegerField(default=0)
    rows_deleted = models.PositiveIntegerField(default=0)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-ran_at", "-id"]

    def __str__(self) -> str:
        return f"supply refresh {self.ran_at:%Y-%m-%d %H:%M} ({self.days_recomputed} days)"
