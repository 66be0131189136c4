"""Forms of the operator economics pages: the dashboard filters (market, service, period, T) and
the what-if inputs (money typed in major units, as on the price pages).

Periods are whole local days of the market: a preset ends tonight at midnight (today included)
and starts on a Monday (weeks) or on the 1st (months), so the weekly and monthly charts have
whole periods except the current one; typed dates are both included.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django import forms
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.translation import gettext_lazy as _

from marketplace.core.forms import Form
from marketplace.pricing.forms import (
    MoneyField,
    TwoDecimalField,
    active_categories,
    active_markets,
    minor_to_major,
)
from marketplace.pricing.models import Market

PRESETS = [
    ("4w", _("Last 4 weeks")),
    ("12w", _("Last 12 weeks")),
    ("6m", _("Last 6 months")),
    ("12m", _("Last 12 months")),
    ("custom", _("Custom dates")),
]
DEFAULT_PRESET = "12w"
DEFAULT_FILL_MINUTES = 60
MAX_DAYS = 3 * 366  # a longer period is refused: the pilot question is about recent months
EARLIEST = date(2000, 1, 1)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self):
        super().__init__(format="%Y-%m-%d")


@dataclass(frozen=True)
class Period:
    start: datetime  # aware, inclusive
    end: datetime  # aware, exclusive
    first_day: date
    last_day: date  # inclusive
    label: str


def _midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=tz)


def preset_days(preset: str, today: date) -> tuple[date, date]:
    """(first day, last day) of a preset ending today."""
    if preset.endswith("w"):
        weeks = int(preset[:-1])
        monday = today - timedelta(days=today.weekday())
        return monday - timedelta(weeks=weeks - 1), today
    months = int(preset[:-1])
    year, month = today.year, today.month - (months - 1)
    while month < 1:
        year, month = year - 1, month + 12
    return date(year, month, 1), today


def _day(d: date) -> str:
    """3 Mar 2025, the month abbreviated in the active language."""
    return date_format(d, "j M Y")


def duration_label(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h {rest:02d} min" if rest else f"{hours} h"


class EconomicsFilterForm(Form):
    market = forms.ModelChoiceField(
        label=_("Market"),
        queryset=active_markets(),
        to_field_name="code",
        empty_label=None,
        error_messages={"invalid_choice": _("Unknown market; pick one from the list.")},
    )
    category = forms.ModelChoiceField(
        label=_("Service"),
        queryset=active_categories(),
        to_field_name="slug",
        required=False,
        empty_label=_("All services"),
        error_messages={"invalid_choice": _("Unknown service; pick one from the list.")},
    )
    preset = forms.ChoiceField(
        label=_("Period"),
        choices=PRESETS,
        initial=DEFAULT_PRESET,
        error_messages={"invalid_choice": _("Pick a period from the list.")},
    )
    start = forms.DateField(
        label=_("From"),
        required=False,
        widget=DateInput(),
        error_messages={"invalid": _("Enter a date like 2025-03-01.")},
    )
    end = forms.DateField(
        label=_("To (included)"),
        required=False,
        widget=DateInput(),
        error_messages={"invalid": _("Enter a date like 2025-03-31.")},
    )
    fill_minutes = forms.IntegerField(
        label=_("Fill rate within (min)"),
        min_value=1,
        max_value=7 * 24 * 60,
        initial=DEFAULT_FILL_MINUTES,
        error_messages={
            "invalid": _("Enter a whole number of minutes, e.g. 60."),
            "min_value": _("At least 1 minute."),
            "max_value": _("At most a week (10080 minutes)."),
        },
    )

    @classmethod
    def from_query(cls, query) -> "EconomicsFilterForm":
        """Bound to the query string with defaults filled in, so the page always shows figures."""
        data = query.copy()
        if not data.get("market"):
            first = active_markets().first()
            data["market"] = first.code if first else ""
        if not data.get("preset"):
            data["preset"] = "custom" if data.get("start") or data.get("end") else DEFAULT_PRESET
        if not data.get("fill_minutes"):
            data["fill_minutes"] = str(DEFAULT_FILL_MINUTES)
        return cls(data)

    def clean(self):
        data = super().clean()
        if data.get("preset") != "custom":
            return data
        start, end = data.get("start"), data.get("end")
        if "start" in self.errors or "end" in self.errors:
            return data
        if start is None:
            self.add_error("start", _("Enter the first day, or pick a preset period."))
        if end is None:
            self.add_error("end", _("Enter the last day, or pick a preset period."))
        if start is None or end is None:
            return data
        if start < EARLIEST:
            self.add_error("start", _("Pick a day from %(year)s on.") % {"year": EARLIEST.year})
        elif end < start:
            self.add_error("end", _("The last day is before the first day."))
        elif (end - start).days + 1 > MAX_DAYS:
            self.add_error("end", _("Pick at most three years."))
        return data

    def period(self, market: Market, *, now: datetime | None = None) -> Period:
        """The chosen period as aware datetimes in the market's time zone (a valid form only)."""
        tz = ZoneInfo(market.time_zone)
        today = timezone.localtime(now or timezone.now(), tz).date()
        preset = self.cleaned_data["preset"]
        if preset == "custom":
            first, last = self.cleaned_data["start"], self.cleaned_data["end"]
            label = f"{_day(first)} – {_day(last)}"
        else:
            first, last = preset_days(preset, today)
            label = f"{dict(PRESETS)[preset]} ({_day(first)} – {_day(last)})"
        return Period(
            _midnight(first, tz), _midnight(last + timedelta(days=1), tz), first, last, label
        )

    @property
    def fill_within(self) -> timedelta:
        return timedelta(minutes=self.cleaned_data["fill_minutes"])


class WhatIfPickForm(Form):
    """Where the what-if starts from: a market's price book (one service, or the mean quote) and
    the period whose requests and choices the projection is based on."""

    market = forms.ModelChoiceField(
        label=_("Market"),
        queryset=active_markets(),
        to_field_name="code",
        empty_label=None,
        error_messages={"invalid_choice": _("Unknown market; pick one from the list.")},
    )
    category = forms.ModelChoiceField(
        label=_("Service"),
        queryset=active_categories(),
        to_field_name="slug",
        required=False,
        empty_label=_("All services (mean quote)"),
        error_messages={"invalid_choice": _("Unknown service; pick one from the list.")},
    )
    preset = forms.ChoiceField(
        label=_("Observed period"),
        choices=PRESETS[:-1],
        initial=DEFAULT_PRESET,
        error_messages={"invalid_choice": _("Pick a period from the list.")},
    )

    @classmethod
    def from_query(cls, query) -> "WhatIfPickForm":
        data = query.copy()
        if not data.get("market"):
            first = active_markets().first()
            data["market"] = first.code if first else ""
        if not data.get("preset"):
            data["preset"] = DEFAULT_PRESET
        return cls(data)

    def period(self, market: Market, *, now: datetime | None = None) -> Period:
        tz = ZoneInfo(market.time_zone)
        today = timezone.localtime(now or timezone.now(), tz).date()
        first, last = preset_days(self.cleaned_data["preset"], today)
        label = f"{dict(PRESETS)[self.cleaned_data['preset']]} ({_day(first)} – {_day(last)})"
        return Period(
            _midnight(first, tz), _midnight(last + timedelta(days=1), tz), first, last, label
        )


SCENARIO_FIELDS = (
    "helper_fee",
    "commission_percent",
    "professional_price",
    "fixed_cost_per_month",
    "professional_install_free",
)


class WhatIfForm(Form):
    """The scenario, typed in major units and percent; ``scenario()`` gives the minor units and
    basis points ``whatif.WhatIf`` takes. Nothing is saved."""

    def __init__(self, *args, market: Market, **kwargs):
        super().__init__(*args, **kwargs)
        currency = market.currency
        self.fields["helper_fee"] = MoneyField(
            label=_("Helper fee"),
            currency=currency,
            help_text=_("What the customer pays a helper."),
        )
        self.fields["commission_percent"] = TwoDecimalField(
            label=_("Commission (%)"),
            min_value=Decimal(0),
            max_value=Decimal(100),
            help_text=_("Platform share of the helper fee, e.g. 20 or 12.5."),
            error_messages={"max_value": _("The commission cannot be more than 100 %%.")},
        )
        self.fields["professional_price"] = MoneyField(
            label=_("Professional list price"),
            currency=currency,
            help_text=_(
                "A technician's price for the same job, before any free-installation offer."
            ),
        )
        self.fields["fixed_cost_per_month"] = MoneyField(
            label=_("Fixed platform cost per month"), currency=currency
        )
        self.fields["professional_install_free"] = forms.BooleanField(
            label=_("Professional installation is free for the customer"), required=False
        )

    @staticmethod
    def initial_for(current) -> dict:
        """Form values for a ``whatif.WhatIf``."""
        return {
            "helper_fee": minor_to_major(current.helper_fee),
            "commission_percent": minor_to_major(current.commission_bps),
            "professional_price": minor_to_major(current.professional_price),
            "fixed_cost_per_month": minor_to_major(current.fixed_cost_per_month),
            "professional_install_free": current.professional_install_free,
        }

    def clean(self):
        data = super().clean()
        if data.get("helper_fee") is not None and data["helper_fee"] <= 0:
            self.add_error("helper_fee", _("Enter a helper fee above 0."))
        if data.get("professional_price") is not None and data["professional_price"] <= 0:
            self.add_error(
                "professional_price",
                _(
                    "Enter the technician's list price (above 0), even when installation is "
                    "free: customers compare against it."
                ),
            )
        return data

    def scenario(self) -> dict:
        """Keyword arguments for ``whatif.WhatIf`` (a valid form only)."""
        data = self.cleaned_data
        return {
            "helper_fee": self.fields["helper_fee"].convert(data["helper_fee"]),
            "commission_bps": self.fields["commission_percent"].convert(data["commission_percent"]),
            "professional_price": self.fields["professional_price"].convert(
                data["professional_price"]
            ),
            "fixed_cost_per_month": self.fields["fixed_cost_per_month"].convert(
                data["fixed_cost_per_month"]
            ),
            "professional_install_free": data["professional_install_free"],
        }
