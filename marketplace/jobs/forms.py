"""Job forms: the request, the professional window, cancelling, completing and reviewing, and
the operator's job filter. Business rules stay in services;
a form only checks shape (required, ranges) and resolves an address into coordinates."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django import forms
from django.forms.fields import BaseTemporalField
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from marketplace.core.forms import (
    DateTimeLocalInput,
    Form,
    LocationFieldsMixin,
    address_field,
    coordinate_field,
)
from marketplace.jobs.services import WallClockTime
from marketplace.pricing.forms import active_categories
from marketplace.pricing.models import ServiceCategory

REVIEW_RATINGS = [(n, f"{n} ★") for n in range(1, 6)]
NPS_SCORES = [(n, str(n)) for n in range(11)]


# --- Accounts ------------------------------------------------------------------------------------


# --- Locations -----------------------------------------------------------------------------------


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


class OperatorJobFilterForm(Form):
    status = forms.ChoiceField(label=_("Status"), required=False)

    def __init__(self, *args, statuses=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("All")), *statuses]
