"""Filters of the operator supply/demand page."""

from django import forms

from marketplace.web.forms import Form, active_categories, active_markets

PERIOD_CHOICES = [("day", "Day"), ("week", "Week"), ("month", "Month")]


class SupplyFilterForm(Form):
    market = forms.ModelChoiceField(
        label="Market", queryset=active_markets(), to_field_name="code", empty_label=None
    )
    category = forms.ModelChoiceField(
        label="Service",
        queryset=active_categories(),
        to_field_name="slug",
        required=False,
        empty_label="All services",
    )
    period = forms.ChoiceField(
        label="Period",
        choices=PERIOD_CHOICES,
        initial="week",
        help_text="Figures cover the last 14 days, 4 weeks or 3 months.",
    )
    cell = forms.RegexField(
        regex=r"^-?\d+:-?\d+$", required=False, widget=forms.HiddenInput, label="Area"
    )
