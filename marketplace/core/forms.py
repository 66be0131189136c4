"""Building blocks every app's forms share: the base form, date-time and location inputs, a
reason field."""

from django import forms
from django.utils.translation import gettext_lazy as _

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class Form(forms.Form):
    """Labels without Django's trailing colon (they also serve as fieldset legends)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format=DATETIME_LOCAL)


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


class ReasonForm(Form):
    reason = forms.CharField(label=_("Reason"), max_length=300)
