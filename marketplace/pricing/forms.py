"""Operator forms for markets and the price book.

Money is typed in major units and stored in minor units: "45.50" (or "45,50") becomes 4550. The
conversion is exact because at most two decimals are accepted; "45.505" is refused with a message
rather than rounded, so an operator never saves a price they did not type. Commission is typed as a
percentage with at most two decimals and stored in basis points: "20" → 2000, "12.5" → 1250.

The services (`price_entry_update`, `market_update`) stay the authority on business rules; these
forms check shape and repeat the fee-bounds check only to word it in money rather than minor units;
each number's range comes from marketplace/pricing/bounds.py, in major units here.
"""

import re
import zoneinfo
from decimal import Decimal

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from marketplace.core.forms import Form
from marketplace.core.money import format_money
from marketplace.pricing.bounds import ENTRY_BOUNDS, MARKET_BOUNDS, Bound
from marketplace.pricing.models import Market, PriceBookEntry, ServiceCategory, name_languages

# A little under the largest PositiveIntegerField (2**31 - 1 minor units), in major units: the
# default cap of a MoneyField. Price-book and market fields use their own (pricing/bounds.py).
MAX_MAJOR = Decimal("10000000")
TWO_DECIMALS_MESSAGE = _("Use at most 2 decimals, e.g. 45.50.")

# Labels for history rows and error messages (model field → what operators call it).
FIELD_LABELS = {
    "helper_fee": _("Helper fee"),
    "min_helper_fee": _("Minimum helper fee"),
    "max_helper_fee": _("Maximum helper fee"),
    "pro_callout_fee": _("Professional call-out fee"),
    "pro_hourly_rate": _("Professional hourly rate"),
    "pro_expected_minutes": _("Professional expected minutes"),
    "pro_flat_price": _("Professional flat price"),
    "pro_install_free": _("Professional installation free"),
    "commission_bps": _("Commission"),
    "fixed_cost_per_month": _("Fixed platform cost per month"),
    "cancellation_free_minutes": _("Free cancellation (minutes)"),
    "cancellation_fee": _("Cancellation fee"),
    "dispatch_k": _("Helpers offered at once (k)"),
    "offer_deadline_minutes": _("Offer deadline (minutes)"),
    "radius_steps_km": _("Radius steps (km)"),
    "max_radius_km": _("Maximum radius (km)"),
    "language": _("Language"),
    "time_zone": _("Time zone"),
    "is_active": _("Active"),
}
MONEY_FIELDS = {
    "helper_fee",
    "min_helper_fee",
    "max_helper_fee",
    "pro_callout_fee",
    "pro_hourly_rate",
    "pro_flat_price",
    "fixed_cost_per_month",
    "cancellation_fee",
}


def minor_to_major(amount: int | None) -> Decimal | None:
    """4550 → Decimal("45.50") (for a form's initial value)."""
    return None if amount is None else Decimal(int(amount)).scaleb(-2)


class TwoDecimalField(forms.DecimalField):
    """A decimal typed by a person: a comma is read as the decimal point ("45,50"), spaces and
    apostrophes (Swiss thousands separators) are ignored, trailing zeros beyond two decimals are
    dropped ("45.500" is 45.50). More than two significant decimals is an error."""

    widget = forms.TextInput

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", None)
        kwargs.setdefault("decimal_places", 2)
        messages = {"max_decimal_places": TWO_DECIMALS_MESSAGE, "invalid": _("Enter a number.")}
        messages.update(kwargs.pop("error_messages", {}))
        super().__init__(error_messages=messages, **kwargs)

    def widget_attrs(self, widget):
        # Text input with a decimal keypad: type="number" would refuse "45,50" in some browsers.
        return {"inputmode": "decimal", "autocomplete": "off"}

    def to_python(self, value):
        if isinstance(value, str):
            value = re.sub(r"[\s']", "", value)
            if "," in value and "." not in value:
                value = value.replace(",", ".")
        number = super().to_python(value)
        if number is not None and number.as_tuple().exponent < -2:
            rounded = number.quantize(Decimal("0.01"))
            if rounded == number:
                number = rounded
        return number

    def convert(self, number: Decimal | None) -> int | None:
        """Hundredths as an integer: 45.50 → 4550, 12.5 (%) → 1250 basis points."""
        return None if number is None else int(number.scaleb(2))


class MoneyField(TwoDecimalField):
    """An amount in major units, at most MAX_MAJOR or within `bound` (minor units, from
    pricing/bounds.py; Django's translated "Ensure this value is less than or equal to …")."""

    def __init__(
        self,
        *,
        label: str,
        currency: str,
        required: bool = True,
        bound: Bound | None = None,
        **kwargs,
    ):
        kwargs.setdefault("help_text", _("In %(currency)s, e.g. 45.50.") % {"currency": currency})
        super().__init__(
            label=f"{label} ({currency})",
            required=required,
            min_value=minor_to_major(bound.low) if bound else Decimal(0),
            max_value=minor_to_major(bound.high) if bound else MAX_MAJOR,
            **kwargs,
        )


def bounded_integer(bound: Bound, *, label, **kwargs) -> forms.IntegerField:
    """A whole number within a range of pricing/bounds.py (minutes, km, helpers)."""
    return forms.IntegerField(label=label, min_value=bound.low, max_value=bound.high, **kwargs)


class ReasonField(forms.CharField):
    def __init__(self, **kwargs):
        super().__init__(
            label=_("Reason for the change"),
            max_length=300,
            help_text=_("Kept in the price history, e.g. “summer promotion” or “new ISP tariff”."),
            **kwargs,
        )


def name_fields(obj) -> dict[str, str]:
    """The form field names of a category's or market's names and their current values:
    "name" (English, required) and "name_pl", "name_de", "name_fr" (empty: English is shown)."""
    values = {"name": obj.name}
    for code, _label in name_languages():
        values[f"name_{code}"] = (obj.names or {}).get(code, "")
    return values


class PricingForm(Form):
    """Shared by both edit forms: money fields become minor units, `changes()` gives the keyword
    arguments for the service, `preview=True` makes the reason optional (nothing is saved).

    `named` is the category (entry form) or market (market form) whose names are edited here,
    one field per shipped language; names are data, not prices, so they are saved by
    `name_updates()` and not recorded in the price history."""

    money_fields: tuple[str, ...] = ()

    def __init__(self, *args, preview: bool = False, named=None, name_label=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.named = named
        self.name_field_names: list[str] = []
        if named is not None:
            for field, value in name_fields(named).items():
                self.initial.setdefault(field, value)
            self.fields["name"] = forms.CharField(
                label=_("%(what)s (English)") % {"what": name_label},
                max_length=100,
                required=False,
                help_text=_("Shown in every language that has no name of its own."),
            )
            for code, label in name_languages():
                self.fields[f"name_{code}"] = forms.CharField(
                    label=f"{name_label} ({label})",
                    max_length=100,
                    required=False,
                    help_text=_("Empty: the English name is shown."),
                )
            self.name_field_names = list(name_fields(named))
        self.fields["reason"] = ReasonField(required=not preview)

    def name_updates(self) -> dict:
        """{"name": ..., "names": {...}} for the fields that changed, {} when none did."""
        if self.named is None:
            return {}
        # Only the fields that were submitted: a client that sends none (an older form, a
        # script) changes no name; an emptied field removes that language's name. The English
        # name cannot be emptied.
        data = self.cleaned_data
        updates = {}
        name = (data.get("name") or "").strip()
        if name and name != self.named.name:
            updates["name"] = name
        names = dict(self.named.names or {})
        for code, _label in name_languages():
            field = f"name_{code}"
            if field not in self.data:
                continue
            value = (data.get(field) or "").strip()
            if value:
                names[code] = value
            else:
                names.pop(code, None)
        if names != (self.named.names or {}):
            updates["names"] = names
        return updates

    def clean(self):
        data = super().clean()
        for name in self.money_fields:
            if name in data:
                data[name] = self.fields[name].convert(data[name])
        return data

    def changes(self) -> dict:
        skip = {"reason", *self.name_field_names}
        return {k: v for k, v in self.cleaned_data.items() if k not in skip}


class PriceEntryForm(PricingForm):
    """The ENTRY_EDITABLE fields of one price-book entry."""

    money_fields = (
        "helper_fee",
        "min_helper_fee",
        "max_helper_fee",
        "pro_callout_fee",
        "pro_hourly_rate",
        "pro_flat_price",
    )

    def __init__(self, *args, entry: PriceBookEntry, **kwargs):
        currency = entry.market.currency
        initial = {name: getattr(entry, name) for name in self.money_fields}
        initial = {name: minor_to_major(value) for name, value in initial.items()}
        initial["pro_expected_minutes"] = entry.pro_expected_minutes
        initial["pro_install_free"] = entry.pro_install_free
        kwargs.setdefault("initial", initial)
        super().__init__(*args, named=entry.category, name_label=_("Service name"), **kwargs)
        self.currency = currency
        self.money_locale = entry.market.money_locale
        self.fields["helper_fee"] = MoneyField(
            label=_("Helper fee"),
            currency=currency,
            bound=ENTRY_BOUNDS["helper_fee"],
            help_text=_("What the customer pays a helper."),
        )
        self.fields["min_helper_fee"] = MoneyField(
            label=_("Minimum helper fee"), currency=currency, bound=ENTRY_BOUNDS["min_helper_fee"]
        )
        self.fields["max_helper_fee"] = MoneyField(
            label=_("Maximum helper fee"), currency=currency, bound=ENTRY_BOUNDS["max_helper_fee"]
        )
        self.fields["pro_callout_fee"] = MoneyField(
            label=_("Professional call-out fee"),
            currency=currency,
            bound=ENTRY_BOUNDS["pro_callout_fee"],
        )
        self.fields["pro_hourly_rate"] = MoneyField(
            label=_("Professional hourly rate"),
            currency=currency,
            bound=ENTRY_BOUNDS["pro_hourly_rate"],
        )
        self.fields["pro_expected_minutes"] = bounded_integer(
            ENTRY_BOUNDS["pro_expected_minutes"],
            label=_("Professional expected minutes"),
            help_text=_("How long a technician typically takes for this job."),
        )
        self.fields["pro_flat_price"] = MoneyField(
            label=_("Professional flat price"),
            currency=currency,
            bound=ENTRY_BOUNDS["pro_flat_price"],
            required=False,
            help_text=_(
                "Leave empty to compare with call-out + expected minutes × hourly rate; "
                "if set, it replaces that calculation."
            ),
        )
        self.fields["pro_install_free"] = forms.BooleanField(
            label=_("Professional installation is free for the customer here"),
            required=False,
        )
        self.order_fields(
            [
                *self.money_fields[:5],
                "pro_expected_minutes",
                "pro_flat_price",
                "pro_install_free",
                *self.name_field_names,
                "reason",
            ]
        )

    def clean(self):
        data = super().clean()
        fee, lo, hi = (data.get(k) for k in ("helper_fee", "min_helper_fee", "max_helper_fee"))
        if lo is not None and hi is not None and lo > hi:
            self.add_error("min_helper_fee", _("The minimum is above the maximum."))
        elif None not in (fee, lo, hi) and not lo <= fee <= hi:
            self.add_error(
                "helper_fee",
                _("The helper fee must lie between %(low)s and %(high)s.")
                % {
                    "low": format_money(lo, self.currency, self.money_locale),
                    "high": format_money(hi, self.currency, self.money_locale),
                },
            )
        return data


def _language_choices(current: str) -> list[tuple[str, str]]:
    choices = list(settings.LANGUAGES)
    if current and current not in dict(choices):
        choices.append((current, current))
    return choices


class MarketForm(PricingForm):
    """The MARKET_EDITABLE fields of one market; commission is a percentage here."""

    money_fields = ("fixed_cost_per_month", "cancellation_fee")

    def __init__(self, *args, market: Market, **kwargs):
        currency = market.currency
        initial = {
            "commission_percent": minor_to_major(market.commission_bps),
            "fixed_cost_per_month": minor_to_major(market.fixed_cost_per_month),
            "cancellation_free_minutes": market.cancellation_free_minutes,
            "cancellation_fee": minor_to_major(market.cancellation_fee),
            "dispatch_k": market.dispatch_k,
            "offer_deadline_minutes": market.offer_deadline_minutes,
            "radius_steps_km": market.radius_steps_km,
            "max_radius_km": market.max_radius_km,
            "language": market.language,
            "time_zone": market.time_zone,
            "is_active": market.is_active,
        }
        kwargs.setdefault("initial", initial)
        super().__init__(*args, named=market, name_label=_("Market name"), **kwargs)
        commission = MARKET_BOUNDS["commission_bps"]
        self.fields["commission_percent"] = TwoDecimalField(
            label=_("Commission (%)"),
            min_value=minor_to_major(commission.low),
            max_value=minor_to_major(commission.high),
            help_text=_(
                "Platform share of each helper price, e.g. 20 or 12.5 (at most 2 decimals)."
            ),
            error_messages={"max_value": _("The commission cannot be more than 100 %%.")},
        )
        self.fields["fixed_cost_per_month"] = MoneyField(
            label=_("Fixed platform cost per month"),
            currency=currency,
            bound=MARKET_BOUNDS["fixed_cost_per_month"],
        )
        self.fields["cancellation_free_minutes"] = bounded_integer(
            MARKET_BOUNDS["cancellation_free_minutes"],
            label=_("Free cancellation (minutes)"),
            help_text=_("Cancelling is free until this many minutes after a helper accepted."),
        )
        self.fields["cancellation_fee"] = MoneyField(
            label=_("Cancellation fee"), currency=currency, bound=MARKET_BOUNDS["cancellation_fee"]
        )
        self.fields["dispatch_k"] = bounded_integer(
            MARKET_BOUNDS["dispatch_k"], label=_("Helpers offered at once (k)")
        )
        self.fields["offer_deadline_minutes"] = bounded_integer(
            MARKET_BOUNDS["offer_deadline_minutes"],
            label=_("Offer deadline (minutes)"),
            help_text=_("How long a helper has to answer an offer."),
        )
        self.fields["radius_steps_km"] = forms.CharField(
            label=_("Radius steps (km)"),
            max_length=64,
            help_text=_("Search radii tried one after the other, separated by commas: 2,5,10,25."),
        )
        self.fields["max_radius_km"] = bounded_integer(
            MARKET_BOUNDS["max_radius_km"], label=_("Maximum radius (km)")
        )
        self.fields["language"] = forms.ChoiceField(
            label=_("Language"), choices=_language_choices(market.language)
        )
        self.fields["time_zone"] = forms.CharField(
            label=_("Time zone"), max_length=64, help_text=_("IANA name, e.g. Europe/Zurich.")
        )
        self.fields["is_active"] = forms.BooleanField(
            label=_("Active (customers can book in this market)"), required=False
        )
        self.order_fields([*self.name_field_names, *initial, "reason"])

    def clean_time_zone(self) -> str:
        name = self.cleaned_data["time_zone"].strip()
        if name not in zoneinfo.available_timezones():
            raise forms.ValidationError(
                _("Unknown time zone; use an IANA name like Europe/Zurich.")
            )
        return name

    def clean(self):
        data = super().clean()
        if "commission_percent" in data:
            data["commission_bps"] = self.fields["commission_percent"].convert(
                data.pop("commission_percent")
            )
        return data


class PriceHistoryFilterForm(Form):
    market = forms.ModelChoiceField(
        label=_("Market"),
        queryset=Market.objects.order_by("name"),
        to_field_name="code",
        required=False,
        empty_label=_("All markets"),
        error_messages={"invalid_choice": _("Unknown market.")},
    )
    category = forms.ModelChoiceField(
        label=_("Service"),
        queryset=ServiceCategory.objects.order_by("name"),
        to_field_name="slug",
        required=False,
        empty_label=_("All services"),
        error_messages={"invalid_choice": _("Unknown service.")},
    )


def active_categories():
    return ServiceCategory.objects.filter(is_active=True).order_by("name")


def active_markets():
    return Market.objects.filter(is_active=True).order_by("name")


class QuoteForm(Form):
    market = forms.ModelChoiceField(label=_("Country"), queryset=Market.objects.none())
    category = forms.ModelChoiceField(label=_("Service"), queryset=ServiceCategory.objects.none())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["market"].queryset = active_markets()
        self.fields["category"].queryset = active_categories()
