"""Filters of the operator supply/demand page."""

from django import forms
from django.utils.translation import gettext_lazy as _

from marketplace.core.forms import Form
from marketplace.pricing.forms import active_categories, active_markets

PERIOD_CHOICES = [("day", _("Day")), ("week", _("Week")), ("month", _("Month"))]


class SupplyFilterForm(Form):
    market = forms.ModelChoiceField(
        label=_("Market"), queryset=active_markets(), to_field_name="code", empty_label=None
    )
    category = forms.ModelChoiceField(
        label=_("Service"),
        queryset=active_categories(),
        to_field_name="slug",
        required=False,
        empty_label=_("All services"),
    )
    period = forms.ChoiceField(
        label=_("Period"),
        choices=PERIOD_CHOICES,
        initial="week",
        help_text=_("Figures cover the last 14 days, 4 weeks or 3 months."),
    )
    cell = forms.RegexField(
        regex=r"^-?\d+:-?\d+$", required=False, widget=forms.HiddenInput, label=_("Area")
    )
