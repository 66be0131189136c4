"""The economics rollup: what `metrics.py` would add up over the jobs of one market × category
× day (of posting, market time), kept so that a dashboard query over a year of a busy market
reads a few thousand rows instead of a million (DESIGN §8: ≤ 1 s per query over 1M jobs).

Derived data, like the supply statistics: `rollup.rollup_refresh` recomputes whole days from
the jobs, their offers, events, payments and reviews, and may delete and rewrite them at any
time; nothing else writes here. The figures read them only for days that no change has touched
since the last refresh (`rolled.py` decides, at every read); every other day is read from the
rows, so the figures are the same with or without the rollup, and never stale.

Attribution is the metrics' cohort rule: every column is about the requests *posted* that day,
whatever happened to them later (see `metrics.py` for the definitions).
"""

from django.db import models
from django.db.models import F, Q

from marketplace.pricing.models import Market, ServiceCategory


class RollupRun(models.Model):
    """One refresh. Readers trust the rollup only for changes before ``ran_at`` (less an overlap
    for transactions still open then) and for rows up to the ids seen then (a row written later
    with an older timestamp — an import, a seed — is still noticed)."""

    ran_at = models.DateTimeField(help_text="When the refresh started reading")
    version = models.PositiveSmallIntegerField(
        default=1, help_text="rollup.VERSION: rows of another version are rebuilt, not read"
    )
    full = models.BooleanField(default=False, help_text="Every day rebuilt (not incremental)")
    max_job_id = models.BigIntegerField(default=0)
    max_event_id = models.BigIntegerField(default=0)
    max_payment_id = models.BigIntegerField(default=0)
    max_review_id = models.BigIntegerField(default=0)
    processing_bps = models.PositiveIntegerField(
        help_text="PAYMENT_PROCESSING_BPS the processing costs were rounded with"
    )
    cell_km = models.PositiveSmallIntegerField(help_text="SUPPLY_CELL_KM of the area rows")
    days_recomputed = models.PositiveIntegerField(default=0)
    rows_written = models.PositiveIntegerField(default=0)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-ran_at", "-id"]
        get_latest_by = ["ran_at", "id"]

    def __str__(self) -> str:
        kind = "full" if self.full else "incremental"
        return f"economics rollup {self.ran_at:%Y-%m-%d %H:%M} ({kind}, {self.days_recomputed} d)"


class _Cohort(models.Model):
    market = models.ForeignKey(Market, on_delete=models.CASCADE, related_name="+")
    category = models.ForeignKey(ServiceCategory, on_delete=models.CASCADE, related_name="+")

    class Meta:
        abstract = True


class DayFigures(_Cohort):
    """The additive figures of one market × category × day of posting."""

    day = models.DateField(help_text="Day the requests were posted, market time zone")
    posted = models.PositiveIntegerField(default=0)
    helper_requests = models.PositiveIntegerField(default=0)
    offered = models.PositiveIntegerField(default=0)
    accepted = models.PositiveIntegerField(default=0)
    completed = models.PositiveIntegerField(default=0)
    confirmed = models.PositiveIntegerField(default=0)
    cancelled = models.PositiveIntegerField(default=0)
    cancelled_by_customer = models.PositiveIntegerField(default=0)
    cancelled_by_operator = models.PositiveIntegerField(default=0)
    expired = models.PositiveIntegerField(default=0)
    professional_booked = models.PositiveIntegerField(default=0)
    price_sum = models.BigIntegerField(default=0, help_text="Quoted helper prices, minor units")
    list_price_sum = models.BigIntegerField(default=0, help_text="Professional list prices")
    # Money of the day's jobs (`queries.money`), minor units.
    gmv = models.BigIntegerField(default=0)
    fees = models.BigIntegerField(default=0)
    fee_refunds = models.BigIntegerField(default=0)
    captured_payments = models.PositiveIntegerField(default=0)
    processing_variable = models.BigIntegerField(
        default=0, help_text="Σ per payment of captured × bps ÷ 10000, rounded half up"
    )
    # The customers' reviews of the day's confirmed jobs.
    ratings = models.PositiveIntegerField(default=0)
    rating_sum = models.PositiveIntegerField(default=0)
    nps_answers = models.PositiveIntegerField(default=0)
    promoters = models.PositiveIntegerField(default=0)
    detractors = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["market", "day", "category"]
        constraints = [
            models.UniqueConstraint(fields=["market", "day", "category"], name="econ_day_unique"),
            models.CheckConstraint(
                condition=Q(helper_requests__lte=F("posted"))
                & Q(accepted__lte=F("posted"))
                & Q(confirmed__lte=F("accepted")),
                name="econ_day_funnel_within_posted",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.market_id} {self.day} cat={self.category_id}: {self.posted} posted"


class WaitMinute(_Cohort):
    """Accepted requests of one market × category × day of posting per bucket of waiting time
    (posting → acceptance; `rollup.WAIT_EDGES`): the histogram that locates the median, the
    p90 and "accepted within T" without sorting every job."""

    day = models.DateField()
    minute = models.PositiveSmallIntegerField(help_text="First minute of the bucket")
    accepted = models.PositiveIntegerField(default=0)
    accepted_helper = models.PositiveIntegerField(
        default=0, help_text="Of those, requests the customer posted for a helper"
    )

    class Meta:
        ordering = ["market", "day", "category", "minute"]
        constraints = [
            models.UniqueConstraint(
                fields=["market", "day", "category", "minute"], name="econ_wait_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.market_id} {self.day} cat={self.category_id} {self.minute} min"


class QuoteDay(_Cohort):
    """What customers chose per quoted (helper price, professional list price, free
    installation), per day of posting: the choice chart's points."""

    day = models.DateField()
    price = models.PositiveIntegerField()
    professional_list_price = models.PositiveIntegerField()
    professional_install_free = models.BooleanField()
    quotes = models.PositiveIntegerField(default=0)
    chose_helper = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["market", "day", "category", "price"]
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "market",
                    "day",
                    "category",
                    "price",
                    "professional_list_price",
                    "professional_install_free",
                ],
                name="econ_quote_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.market_id} {self.day} {self.price}/{self.professional_list_price}"


class AreaMonth(_Cohort):
    """Requests per supply grid cell (of the job's exact point) × category × month of posting:
    the area map's counts. Monthly, not daily: a cell sees about one request a day, so daily
    rows would be as many as the jobs."""

    month = models.DateField(help_text="First day of the month of posting, market time zone")
    cell_km = models.PositiveSmallIntegerField()
    cell_y = models.IntegerField()
    cell_x = models.IntegerField()
    posted = models.PositiveIntegerField(default=0)
    helper_requests = models.PositiveIntegerField(default=0)
    accepted = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["market", "month", "cell_y", "cell_x", "category"]
        constraints = [
            models.UniqueConstraint(
                fields=["market", "cell_km", "month", "cell_y", "cell_x", "category"],
                name="econ_area_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.market_id} {self.month:%Y-%m} ({self.cell_y}, {self.cell_x})"
