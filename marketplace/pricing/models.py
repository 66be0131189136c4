from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import translation

from marketplace.pricing.bounds import ENTRY_BOUNDS, MARKET_BOUNDS, check_constraints


def name_languages() -> list[tuple[str, str]]:
    """The shipped languages other than English, whose names live in `names` ({"pl": ...});
    English is the `name` field and the fallback."""
    return [(code, label) for code, label in settings.LANGUAGES if code != "en"]


class TranslatedName(models.Model):
    """A name per language: `name` in English, `names` the others ({"pl": "Polska", "de":
    "Polen"}). `localized_name()` gives the one of the active language, English when it has
    none; `str()` is the localized name too, so form choices and `{{ market }}` follow the page.
    Names are data, edited in the admin and on the operator's price pages, not in the .po
    catalogues."""

    names = models.JSONField(
        default=dict,
        blank=True,
        help_text='Names in other languages, e.g. {"pl": "Polska", "de": "Polen"}',
    )

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.localized_name()

    def localized_name(self, lang: str | None = None) -> str:
        lang = (lang or translation.get_language() or "en").split("-")[0].lower()
        if lang != "en":
            name = (self.names or {}).get(lang)
            if isinstance(name, str) and name.strip():
                return name.strip()
        return self.name


class ServiceCategory(TranslatedName):
    """What can be booked: router set-up, TV decoder, smart-home device, PC repair...
    `bit` gives each category a position in the helpers' skills bitmask used by matching."""

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    bit = models.PositiveSmallIntegerField(unique=True, validators=[MaxValueValidator(62)])
    typical_minutes = models.PositiveIntegerField(default=60)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "service categories"

    @property
    def mask(self) -> int:
        return 1 << self.bit


class Market(TranslatedName):
    """A country (or region) where the pilot runs, with its currency, commission and dispatch rules.
    All money fields are integer minor units of `currency` (rappen, grosze)."""

    code = models.SlugField(unique=True, help_text="Short id, e.g. 'ch' or 'pl'")
    name = models.CharField(max_length=100)
    country = models.CharField(max_length=2, help_text="ISO 3166-1 alpha-2, e.g. CH")
    currency = models.CharField(max_length=3, help_text="ISO 4217, e.g. CHF")
    language = models.CharField(max_length=8, default="en")
    time_zone = models.CharField(max_length=64, default="Europe/Zurich")
    commission_bps = models.PositiveIntegerField(
        default=1500,
        validators=MARKET_BOUNDS["commission_bps"].validators(),
        help_text="Platform fee, basis points",
    )
    fixed_cost_per_month = models.PositiveIntegerField(
        default=0,
        validators=MARKET_BOUNDS["fixed_cost_per_month"].validators(),
        help_text="Platform upkeep",
    )
    cancellation_free_minutes = models.PositiveIntegerField(
        default=60,
        validators=MARKET_BOUNDS["cancellation_free_minutes"].validators(),
        help_text="Cancelling is free until this many minutes after a helper accepted",
    )
    cancellation_fee = models.PositiveIntegerField(
        default=0, validators=MARKET_BOUNDS["cancellation_fee"].validators()
    )
    dispatch_k = models.PositiveSmallIntegerField(
        default=3, validators=MARKET_BOUNDS["dispatch_k"].validators()
    )
    offer_deadline_minutes = models.PositiveIntegerField(
        default=15, validators=MARKET_BOUNDS["offer_deadline_minutes"].validators()
    )
    radius_steps_km = models.CharField(
        max_length=64, default="2,5,10,25", help_text="Comma-separated search radii in km"
    )
    max_radius_km = models.PositiveIntegerField(
        default=25, validators=MARKET_BOUNDS["max_radius_km"].validators()
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        # One range per number (pricing/bounds.py), so no path around the services (a raw
        # .update(), a fixture, a shell) can store a value a quote or a dispatch cannot use.
        constraints = check_constraints("market", MARKET_BOUNDS)

    @property
    def money_locale(self) -> str:
        """Language and country, e.g. "de-CH": how money is written in this market
        (marketplace/core/money.py)."""
        return f"{self.language}-{self.country}"

    @property
    def radius_steps(self) -> list[float]:
        steps = sorted({float(s) for s in self.radius_steps_km.split(",") if s.strip()})
        steps = [s for s in steps if 0 < s <= self.max_radius_km]
        if not steps or steps[-1] < self.max_radius_km:
            steps.append(float(self.max_radius_km))
        return steps


class PriceBookEntry(models.Model):
    """The price of one category in one market, with the professional visit it is compared to."""

    market = models.ForeignKey(Market, on_delete=models.CASCADE, related_name="price_book")
    category = models.ForeignKey(ServiceCategory, on_delete=models.PROTECT, related_name="prices")
    helper_fee = models.PositiveIntegerField(
        validators=ENTRY_BOUNDS["helper_fee"].validators(),
        help_text="What the customer pays for a helper",
    )
    min_helper_fee = models.PositiveIntegerField(
        default=0, validators=ENTRY_BOUNDS["min_helper_fee"].validators()
    )
    max_helper_fee = models.PositiveIntegerField(
        validators=ENTRY_BOUNDS["max_helper_fee"].validators()
    )
    pro_callout_fee = models.PositiveIntegerField(
        default=0, validators=ENTRY_BOUNDS["pro_callout_fee"].validators()
    )
    pro_hourly_rate = models.PositiveIntegerField(
        default=0, validators=ENTRY_BOUNDS["pro_hourly_rate"].validators()
    )
    pro_expected_minutes = models.PositiveIntegerField(
        default=60, validators=ENTRY_BOUNDS["pro_expected_minutes"].validators()
    )
    pro_flat_price = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=ENTRY_BOUNDS["pro_flat_price"].validators(),
        help_text="If set, replaces call-out + duration × hourly rate",
    )
    pro_install_free = models.BooleanField(
        default=False, help_text="Professional installation is free for the customer here"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["market", "category"]
        verbose_name_plural = "price book entries"
        constraints = [
            models.UniqueConstraint(fields=["market", "category"], name="pricebook_unique_cell"),
            models.CheckConstraint(
                condition=Q(min_helper_fee__lte=F("helper_fee"))
                & Q(helper_fee__lte=F("max_helper_fee")),
                name="pricebook_fee_within_bounds",
            ),
            *check_constraints("pricebook", ENTRY_BOUNDS, nullable={"pro_flat_price"}),
        ]

    def __str__(self) -> str:
        return f"{self.market.code}/{self.category.slug}"


class PriceChange(models.Model):
    """One field of a market or price-book entry changed: who, when, old → new, and why.

    Written by the pricing services for every edit (web, API, admin, applied fee suggestions;
    migration 0003 for values it moved into range), so a report can tell which price was in
    force at any moment. Values are stored as text (the
    fields are integers, booleans and short strings); `None` is stored as an empty string with
    `was_null`/`is_null` set."""

    market = models.ForeignKey(Market, on_delete=models.CASCADE, related_name="price_changes")
    entry = models.ForeignKey(
        PriceBookEntry,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="changes",
        help_text="Empty when a market setting changed",
    )
    field = models.CharField(max_length=64)
    old_value = models.CharField(max_length=200, blank=True)
    new_value = models.CharField(max_length=200, blank=True)
    changed_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(db_index=True)
    source = models.CharField(
        max_length=16, default="web", help_text="web, api, admin, suggestion, seed or migration"
    )
    reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-changed_at", "-id"]
        indexes = [
            models.Index(fields=["entry", "field", "changed_at"], name="pricechange_entry_field"),
        ]

    def __str__(self) -> str:
        target = self.entry or self.market
        return f"{target}.{self.field}: {self.old_value} → {self.new_value}"
