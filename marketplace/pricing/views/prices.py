"""Operator pages for prices: the price book per market, editing an entry or a market's settings,
and the history of every change. Edits go through the pricing services, which validate and record
one PriceChange per changed field (source "web")."""

import copy
from dataclasses import dataclass

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext

from marketplace.core.errors import DomainError
from marketplace.core.money import format_money
from marketplace.core.pages import add_domain_error
from marketplace.pricing.forms import (
    FIELD_LABELS,
    MONEY_FIELDS,
    MarketForm,
    PriceEntryForm,
    PriceHistoryFilterForm,
)
from marketplace.pricing.models import Market, PriceBookEntry, PriceChange
from marketplace.pricing.selectors import price_changes
from marketplace.pricing.services import (
    Quote,
    build_quote,
    market_update,
    price_entry_update,
)
from marketplace.security.access import operator_required

HISTORY_PAGE_SIZE = 50


@dataclass(frozen=True)
class PriceRow:
    entry: PriceBookEntry
    quote: Quote


@dataclass(frozen=True)
class MarketBlock:
    market: Market
    commission: str
    rows: list[PriceRow]


def percent_text(bps: int) -> str:
    """2000 → "20 %", 1250 → "12.5 %" (basis points are hundredths of a percent)."""
    return f"{bps / 100:g} %"


@operator_required
def prices(request):
    blocks = []
    for market in Market.objects.order_by("name"):
        entries = market.price_book.select_related("category").order_by("category__name")
        rows = [PriceRow(entry=e, quote=build_quote(entry=e, market=market)) for e in entries]
        blocks.append(
            MarketBlock(market=market, commission=percent_text(market.commission_bps), rows=rows)
        )
    return render(request, "operator/prices.html", {"blocks": blocks})


def save_names(obj, updates: dict) -> None:
    """A category's or market's names as edited on a price page (forms_pricing.name_updates).
    Names are data, not prices: saved as they are, not recorded in the price history."""
    if updates:
        for field, value in updates.items():
            setattr(obj, field, value)
        obj.save(update_fields=list(updates))


def _prices_url(market: Market) -> str:
    return f"{reverse('operator:prices')}#market-{market.code}"


@operator_required
def price_edit(request, entry_id: int):
    entry = get_object_or_404(
        PriceBookEntry.objects.select_related("market", "category"), pk=entry_id
    )
    market = entry.market
    previewing = request.method == "POST" and "preview" in request.POST
    form = PriceEntryForm(request.POST or None, entry=entry, preview=previewing)
    preview = None
    if request.method == "POST" and form.is_valid():
        if previewing:
            # The quote the new values would give; nothing is saved.
            draft = copy.copy(entry)
            for name, value in form.changes().items():
                setattr(draft, name, value)
            preview = build_quote(entry=draft, market=market)
        else:
            try:
                with transaction.atomic():
                    price_entry_update(
                        entry=entry,
                        actor=request.user,
                        source="web",
                        reason=form.cleaned_data["reason"],
                        **form.changes(),
                    )
                    save_names(entry.category, form.name_updates())
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(
                    request,
                    gettext("Saved the price of %(category)s in %(market)s.")
                    % {
                        "category": entry.category.localized_name(),
                        "market": market.localized_name(),
                    },
                )
                return redirect(_prices_url(market))
    return render(
        request,
        "operator/prices_entry_edit.html",
        {
            "entry": entry,
            "market": market,
            "form": form,
            "current": build_quote(entry=entry, market=market),
            "preview": preview,
        },
    )


@operator_required
def market_edit(request, market_id: int):
    market = get_object_or_404(Market, pk=market_id)
    form = MarketForm(request.POST or None, market=market)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                market_update(
                    market=market,
                    actor=request.user,
                    source="web",
                    reason=form.cleaned_data["reason"],
                    **form.changes(),
                )
                save_names(market, form.name_updates())
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(
                request,
                gettext("Saved the settings of %(market)s.") % {"market": market.localized_name()},
            )
            return redirect(_prices_url(market))
    return render(request, "operator/prices_market_edit.html", {"market": market, "form": form})


def display_value(field: str, text: str, currency: str) -> str:
    """A stored history value as operators read it: money formatted, commission in percent."""
    if text == "":
        return "—"
    try:
        if field in MONEY_FIELDS:
            return format_money(int(text), currency)
        if field == "commission_bps":
            return percent_text(int(text))
    except ValueError:
        pass
    if text in ("True", "False"):
        return gettext("yes") if text == "True" else gettext("no")
    return text


@dataclass(frozen=True)
class HistoryRow:
    change: PriceChange
    label: str
    old: str
    new: str


@operator_required
def price_history(request):
    form = PriceHistoryFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        changes = PriceChange.objects.none()
    else:
        filters = form.cleaned_data if form.is_bound else {}
        changes = price_changes(market=filters.get("market"), category=filters.get("category"))
    page = Paginator(changes, HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [
        HistoryRow(
            change=c,
            label=str(FIELD_LABELS.get(c.field, c.field)),
            old=display_value(c.field, c.old_value, c.market.currency),
            new=display_value(c.field, c.new_value, c.market.currency),
        )
        for c in page.object_list
    ]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "operator/prices_history.html",
        {"form": form, "page": page, "rows": rows, "query": query.urlencode()},
    )
