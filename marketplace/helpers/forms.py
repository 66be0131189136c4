"""Helper application and profile forms, and the operator's vetting form."""

from django import forms
from django.conf import settings
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from marketplace.core.errors import ValidationFailed
from marketplace.core.forms import Form, LocationFieldsMixin, address_field, coordinate_field
from marketplace.helpers.models import Weekday
from marketplace.helpers.services import helper_home_locate
from marketplace.pricing.forms import active_categories, active_markets
from marketplace.pricing.models import Market, ServiceCategory


class AvailabilityFieldsMixin:
    """One "from"/"to" hour pair per weekday; both empty means not available that day."""

    FROM_CHOICES = [("", "—")] + [(h, f"{h:02d}:00") for h in range(24)]
    TO_CHOICES = [("", "—")] + [(h, f"{h:02d}:00") for h in range(1, 25)]

    def add_availability_fields(self, slots=()) -> None:
        by_day: dict[int, tuple[int, int]] = {}
        for weekday, start, end in slots:
            lo, hi = by_day.get(weekday, (start, end))
            by_day[weekday] = (min(lo, start), max(hi, end))
        for day in Weekday:
            for part, choices in (("from", self.FROM_CHOICES), ("to", self.TO_CHOICES)):
                name = f"day{day.value}_{part}"
                self.fields[name] = forms.TypedChoiceField(
                    label=(gettext("%(day)s from") if part == "from" else gettext("%(day)s to"))
                    % {"day": WEEKDAYS[day.value]},
                    choices=choices,
                    coerce=int,
                    empty_value=None,
                    required=False,
                )
                if day.value in by_day and not self.is_bound:
                    self.initial[name] = by_day[day.value][0 if part == "from" else 1]

    def availability_rows(self):
        return [
            (WEEKDAYS[day.value], self[f"day{day.value}_from"], self[f"day{day.value}_to"])
            for day in Weekday
        ]

    def clean_availability(self) -> list[tuple[int, int, int]]:
        slots = []
        for day in Weekday:
            start = self.cleaned_data.get(f"day{day.value}_from")
            end = self.cleaned_data.get(f"day{day.value}_to")
            if start is None and end is None:
                continue
            if start is None or end is None:
                self.add_error(
                    f"day{day.value}_from",
                    gettext("%(day)s: choose both hours or none.") % {"day": WEEKDAYS[day.value]},
                )
            elif start >= end:
                self.add_error(
                    f"day{day.value}_from",
                    gettext("%(day)s: 'from' must be before 'to'.") % {"day": WEEKDAYS[day.value]},
                )
            else:
                slots.append((day.value, start, end))
        return slots


class HelperProfileForm(AvailabilityFieldsMixin, LocationFieldsMixin, Form):
    address = address_field(
        label=_("Home address or town"),
        help_text=_(
            "Used to find jobs near you; never shown to customers. Or share your location."
        ),
    )
    lat = coordinate_field(90)
    lng = coordinate_field(180)
    service_radius_km = forms.IntegerField(
        label=_("How far will you travel? (km)"), min_value=1, max_value=100, initial=10
    )
    bio = forms.CharField(
        label=_("About you"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What you are good at. Customers see this."),
    )
    languages = forms.MultipleChoiceField(
        label=_("Languages you speak"), choices=(), widget=forms.CheckboxSelectMultiple
    )
    skills = forms.ModelMultipleChoiceField(
        label=_("What can you help with?"),
        queryset=ServiceCategory.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, slots=(), market: Market | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.market = market
        self.fields["skills"].queryset = active_categories()
        codes = dict(settings.LANGUAGES)
        for code in self.initial.get("languages") or ():
            codes.setdefault(code, code)
        self.fields["languages"].choices = list(codes.items())
        self.fields["languages"].initial = ["en"]
        self.add_availability_fields(slots)

    def _market(self) -> Market | None:
        return self.market

    def clean(self):
        data = super().clean()
        data["slots"] = self.clean_availability()
        coords = self._coordinates()
        address = (data.get("address") or "").strip()
        if coords is None and "address" not in self.changed_data and self.initial.get("address"):
            data["place"] = None  # location unchanged
            return data
        if coords is None and not address:
            self.add_error(
                "address", gettext("Give your home address or town, or use your location.")
            )
            return data
        market = self._market()
        try:
            place = helper_home_locate(
                address=address,
                lat=coords[0] if coords else None,
                lng=coords[1] if coords else None,
                country=market.country if market else None,
            )
        except ValidationFailed as exc:
            self.add_error("address", str(exc.message))
            return data
        if market and place.country != market.country:
            self.add_error(
                "address",
                gettext("That location is not in %(market)s.")
                % {"market": market.localized_name()},
            )
            return data
        data["place"] = place
        return data


class HelperApplyForm(HelperProfileForm):
    """`initial={"market": ...}` (account_market): the country given at sign-up is chosen."""

    market = forms.ModelChoiceField(label=_("Country"), queryset=Market.objects.none())
    accept_code_of_conduct = forms.BooleanField(
        label=_("I have read and accept the code of conduct"), required=False
    )

    field_order = ["market", "address"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["market"].queryset = active_markets()

    def _market(self) -> Market | None:
        return self.cleaned_data.get("market")


class VetForm(Form):
    id_checked = forms.BooleanField(
        label=_("I have checked this person's ID document"),
        error_messages={"required": _("Tick “ID checked” after checking the ID document.")},
    )
