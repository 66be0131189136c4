"""Forms translate what people type into service arguments. Business rules stay in services;
a form only checks shape (required, ranges) and resolves an address into coordinates."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.forms.fields import BaseTemporalField
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from marketplace.accounts.models import Role, language_for_market
from marketplace.core.errors import ValidationFailed
from marketplace.helpers.models import Weekday
from marketplace.helpers.services import helper_home_locate
from marketplace.jobs.services import WallClockTime
from marketplace.pricing.models import Market, ServiceCategory

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"
REVIEW_RATINGS = [(n, f"{n} ★") for n in range(1, 6)]
NPS_SCORES = [(n, str(n)) for n in range(11)]


def active_categories():
    return ServiceCategory.objects.filter(is_active=True).order_by("name")


def active_markets():
    return Market.objects.filter(is_active=True).order_by("name")


class Form(forms.Form):
    """Labels without Django's trailing colon (they also serve as fieldset legends)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format=DATETIME_LOCAL)


# --- Accounts ------------------------------------------------------------------------------------


class SignUpForm(Form):
    email = forms.EmailField(label=_("E-mail"), max_length=254)
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 8 characters, not only digits, not a common password."),
    )
    full_name = forms.CharField(label=_("Full name"), max_length=150)
    phone = forms.CharField(
        label=_("Phone"),
        max_length=32,
        required=False,
        help_text=_("Shared only with the helper who takes your job, while it is open."),
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    role = forms.ChoiceField(
        label=_("I want to"),
        choices=[(Role.CUSTOMER, _("Get help at home")), (Role.HELPER, _("Help people nearby"))],
        initial=Role.CUSTOMER,
        widget=forms.RadioSelect,
    )
    market = forms.ModelChoiceField(
        label=_("Country"),
        queryset=Market.objects.none(),
        required=False,
        help_text=_("Sets your language and prices if you do not choose otherwise."),
    )
    language = forms.ChoiceField(
        label=_("Language"),
        choices=(),
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.market = None
        self.fields["email"].widget.attrs["autocomplete"] = "email"
        self.fields["full_name"].widget.attrs["autocomplete"] = "name"
        self.fields["market"].queryset = active_markets()
        self.fields["language"].choices = [
            ("", _("The language of my country")),
            *settings.LANGUAGES,
        ]
        # A language picked with the switcher (or sent by the browser) is the default choice.
        current = translation.get_language() or ""
        if current[:2] != settings.LANGUAGE_CODE and current[:2] in dict(settings.LANGUAGES):
            self.fields["language"].initial = current[:2]

    def clean(self):
        data = super().clean()
        # Not chosen: follow the market (pl → Polish, ch → German); no market: no preference.
        if not data.get("language"):
            data["language"] = language_for_market(data.get("market"))
        self.market = data.pop("market", None)  # not stored on the account; see account_market
        return data


class EmailLoginForm(AuthenticationForm):
    """Django's login form; the username *is* the e-mail address (User.USERNAME_FIELD)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("E-mail")
        self.fields["username"].widget.attrs.update({"autocomplete": "email", "type": "email"})


# --- Locations -----------------------------------------------------------------------------------


class LocationFieldsMixin:
    """An address text field plus hidden lat/lng filled by the optional "use my location" button.
    Coordinates from the browser win; otherwise the address is geocoded by the service (jobs) or
    by `helpers.services.helper_home_locate` (helpers)."""

    def _coordinates(self) -> tuple[float, float] | None:
        lat, lng = self.cleaned_data.get("lat"), self.cleaned_data.get("lng")
        if lat is None or lng is None:
            return None
        return lat, lng


def address_field(*, label: str, help_text: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=300,
        required=False,
        help_text=help_text,
        widget=forms.TextInput(attrs={"autocomplete": "street-address"}),
    )


def coordinate_field(limit: int) -> forms.FloatField:
    """Hidden; filled by static/js/geolocate.js. Without JavaScript it stays empty."""
    return forms.FloatField(
        required=False, min_value=-limit, max_value=limit, widget=forms.HiddenInput
    )


# --- Customer ------------------------------------------------------------------------------------


class WallClockDateTimeField(forms.DateTimeField):
    """A date and time as typed, without a time zone: a `WallClockTime` that `job_post` reads on
    the clock of the market the address is in. Django's DateTimeField would read it in the
    active time zone (settings.TIME_ZONE), the wrong clock for a market elsewhere. A value typed
    with an offset stays aware."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, datetime):
            result = value
        else:
            try:
                result = parse_datetime(str(value).strip())
            except ValueError:
                raise forms.ValidationError(
                    self.error_messages["invalid"], code="invalid"
                ) from None
            if result is None:
                # The input formats (strptime), without DateTimeField's time-zone step.
                result = BaseTemporalField.to_python(self, value)
        return result if timezone.is_aware(result) else WallClockTime.of(result)


class JobRequestForm(LocationFieldsMixin, Form):
    """Times come from <input type="datetime-local">, which has no time zone. They stay
    wall-clock times (WallClockTime) and `job_post` reads them in the time zone of the market
    the address is in (Zürich: Europe/Zurich, Warsaw: Europe/Warsaw), not settings.TIME_ZONE.
    Empty start means "as soon as possible", empty end start + 4 h."""

    category = forms.ModelChoiceField(
        label=_("What do you need help with?"), queryset=ServiceCategory.objects.none()
    )
    description = forms.CharField(
        label=_("Describe the problem"),
        min_length=10,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What device, what happens, what you have tried. Not your address."),
    )
    address = address_field(
        label=_("Address"),
        help_text=_(
            "Street, postcode and town. Helpers see only the town until one of them takes the "
            "job. If you share your location instead, the address is optional."
        ),
    )
    lat = coordinate_field(90)
    lng = coordinate_field(180)
    window_start = WallClockDateTimeField(
        label=_("Earliest time"), required=False, widget=DateTimeLocalInput()
    )
    window_end = WallClockDateTimeField(
        label=_("Latest time"), required=False, widget=DateTimeLocalInput()
    )
    contact_phone = forms.CharField(
        label=_("Phone for the helper"),
        max_length=32,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
        help_text=_("Shown only to the helper who takes the job, until it is done."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = active_categories()
        if not self.is_bound:
            start = (timezone.localtime() + timedelta(hours=1)).replace(
                minute=0, second=0, microsecond=0
            )
            self.initial.setdefault("window_start", start)
            self.initial.setdefault("window_end", start + timedelta(hours=4))
        tz_name = timezone.get_current_timezone_name()
        self.fields["window_start"].help_text = gettext("Local time (%(zone)s).") % {
            "zone": tz_name
        }

    def clean(self):
        data = super().clean()
        if not (data.get("address") or "").strip() and self._coordinates() is None:
            self.add_error("address", gettext("Give an address or use your location."))
        return data


class QuoteForm(Form):
    market = forms.ModelChoiceField(label=_("Country"), queryset=Market.objects.none())
    category = forms.ModelChoiceField(label=_("Service"), queryset=ServiceCategory.objects.none())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["market"].queryset = active_markets()
        self.fields["category"].queryset = active_categories()


class ProfessionalWindowForm(Form):
    """A new time window for a professional visit when the job's own window is over. Times are
    typed on the market's clock (read there by job_book_professional, like a new request's)."""

    window_start = WallClockDateTimeField(label=_("Earliest time"), widget=DateTimeLocalInput())
    window_end = WallClockDateTimeField(
        label=_("Latest time"), required=False, widget=DateTimeLocalInput()
    )

    def __init__(self, *args, time_zone: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            # Tomorrow, at the next full hour, on the market's clock.
            zone = ZoneInfo(time_zone) if time_zone else timezone.get_current_timezone()
            start = (timezone.now().astimezone(zone) + timedelta(days=1, hours=1)).replace(
                minute=0, second=0, microsecond=0, tzinfo=None
            )
            self.initial.setdefault("window_start", start)
            self.initial.setdefault("window_end", start + timedelta(hours=4))
        if time_zone:
            self.fields["window_start"].help_text = gettext("Local time (%(zone)s).") % {
                "zone": time_zone
            }


class CancelForm(Form):
    reason = forms.CharField(label=_("Why do you cancel?"), max_length=500)
    # The fee the customer saw; if the policy fee went up meanwhile they are asked again.
    expected_fee = forms.IntegerField(min_value=0, widget=forms.HiddenInput)


class ReasonForm(Form):
    reason = forms.CharField(label=_("Reason"), max_length=300)


class CompleteForm(Form):
    note = forms.CharField(
        label=_("What did you do?"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ReviewForm(Form):
    rating = forms.TypedChoiceField(
        label=_("Your rating"), choices=REVIEW_RATINGS, coerce=int, widget=forms.RadioSelect
    )
    comment = forms.CharField(
        label=_("Comment"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class CustomerReviewForm(ReviewForm):
    nps = forms.TypedChoiceField(
        label=_(
            "How likely are you to recommend Fieldfriends to a friend? (0 = not at all, 10 = "
            "extremely likely)"
        ),
        choices=NPS_SCORES,
        coerce=int,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
    )


# --- Helper --------------------------------------------------------------------------------------


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


class OperatorJobFilterForm(Form):
    status = forms.ChoiceField(label=_("Status"), required=False)

    def __init__(self, *args, statuses=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("All")), *statuses]
