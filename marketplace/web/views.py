"""Public pages: home and the price preview."""

from django.shortcuts import render

from marketplace.core.errors import DomainError
from marketplace.pricing.forms import QuoteForm
from marketplace.pricing.services import quote as quote_for


def home(request):
    return render(request, "home.html")


def quote(request):
    """Helper price against a professional visit for one market and service (GET only)."""
    form = QuoteForm(request.GET or None)
    context = {"form": form, "quote": None, "category": None, "market": None}
    if form.is_valid():
        market, category = form.cleaned_data["market"], form.cleaned_data["category"]
        try:
            context["quote"] = quote_for(market=market, category=category)
        except DomainError as exc:
            form.add_error(None, exc.message)
        context.update(market=market, category=category)
    return render(request, "quote.html", context)
