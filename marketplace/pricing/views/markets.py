"""Operator page to open a market for a new country (mounted under /operator/markets/, names
operator:market_open). No `app_name`: the patterns join the enclosing "operator" namespace.

The country list is the offline gazetteer's countries without a market; the new market's
locale comes from the country, its settings and price book from a template market
(pricing/markets.py), to be reviewed on the price pages."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from marketplace.core.errors import DomainError
from marketplace.core.pages import add_domain_error
from marketplace.pricing.markets import countries_without_market, market_defaults, market_open
from marketplace.pricing.models import Market
from marketplace.security.access import operator_required


class MarketOpenForm(forms.Form):
    country = forms.ChoiceField(label=_("Country"))
    template = forms.ModelChoiceField(
        label=_("Copy settings and prices from"),
        queryset=Market.objects.order_by("name"),
        empty_label=None,
        help_text=_(
            "Amounts are copied as numbers, not converted between currencies: review them on the "
            "price pages afterwards."
        ),
    )
    is_active = forms.BooleanField(
        label=_("Active at once (customers can book in this market)"),
        required=False,
        initial=True,
    )
    reason = forms.CharField(
        label=_("Reason (for the price history)"), max_length=300, required=False
    )

    def __init__(self, *args, countries, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = [(c.code, f"{c.name} ({c.code})") for c in countries]


@operator_required
def open_market(request):
    countries = countries_without_market()
    form = MarketOpenForm(request.POST or None, countries=countries)
    if request.method == "POST" and form.is_valid():
        try:
            market = market_open(
                country=form.cleaned_data["country"],
                template=form.cleaned_data["template"],
                actor=request.user,
                is_active=form.cleaned_data["is_active"],
                source="web",
                reason=form.cleaned_data["reason"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(
                request,
                gettext("Opened %(market)s (%(currency)s). Review its settings and prices below.")
                % {"market": market.localized_name(), "currency": market.currency},
            )
            return redirect(f"{reverse('operator:prices')}#market-{market.code}")
    previews = [(c, market_defaults(c)) for c in countries]
    return render(
        request,
        "operator/market_open.html",
        {"form": form, "countries": previews, "markets": Market.objects.order_by("name")},
    )


urlpatterns = [
    path("open/", open_market, name="market_open"),
]
