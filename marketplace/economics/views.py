"""Operator economics pages (DESIGN §7): "should this pilot go on, and at what price?"

The dashboard (filters, headline figures, four charts each with a table of the same figures, a
verdict in words), the what-if page, CSV exports and a one-page printable report. The figures
come from ``economics.metrics`` and ``economics.whatif``, their wording from
``economics.verdict`` and the chart sections from ``economics.sections``; this module only picks
the scope from the query string and renders the pages.
"""

from zoneinfo import ZoneInfo

from django.contrib import messages
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.translation import gettext

from marketplace.core.errors import DomainError
from marketplace.economics import charts, exports, metrics, whatif
from marketplace.economics.forms import (
    SCENARIO_FIELDS,
    EconomicsFilterForm,
    Period,
    WhatIfForm,
    WhatIfPickForm,
    duration_label,
)
from marketplace.economics.scope import Scope
from marketplace.economics.sections import (
    CSV_TABLES,
    area_section,
    break_even_section,
    choice_section,
    funnel_section,
)
from marketplace.economics.verdict import (
    CHOICE_FLOOR,
    DEMAND_FLOOR,
    FILL_FLOOR,
    cards,
    compare,
    fit_quality,
    verdict,
)
from marketplace.security.access import operator_required

# --- Pages -------------------------------------------------------------------------------------


def scope_of(form: EconomicsFilterForm, period: Period) -> Scope:
    return Scope(
        market=form.cleaned_data["market"],
        start=period.start,
        end=period.end,
        category=form.cleaned_data["category"],
        fill_within=form.fill_within,
    )


def economics_context(request) -> dict:
    """Everything the dashboard and the report show, for the filters in the query string."""
    form = EconomicsFilterForm.from_query(request.GET)
    context: dict = {"form": form}
    if not form.is_valid():
        return context
    market = form.cleaned_data["market"]
    period = form.period(market)
    fill_within = duration_label(form.cleaned_data["fill_minutes"])
    scope = scope_of(form, period)
    m = metrics.metrics(scope)
    months = metrics.monthly(scope)
    points = metrics.choice_points(scope)
    quotes = sum(p.quotes for p in points)
    free_share = sum(p.quotes for p in points if p.professional_install_free) / (quotes or 1)
    model = whatif.fit_choice_model(market, period.start, period.end)
    marks = [(gettext("current"), m.price_ratio)] if m.price_ratio is not None else []
    query = form.data.copy()
    query.pop("table", None)
    context.update(
        market=market,
        category=form.cleaned_data["category"],
        period=period,
        fill_within=fill_within,
        metrics=m,
        cards=cards(m, fill_within),
        verdict=verdict(m, months, period, fill_within, free_share),
        thresholds={"demand": DEMAND_FLOOR, "fill": FILL_FLOOR, "choice": CHOICE_FLOOR},
        model=model,
        sections=[
            funnel_section(metrics.weekly(scope), fill_within),
            area_section(market, metrics.by_area(scope)),
            break_even_section(m, months, period),
            choice_section(points, model, market.currency, marks),
        ],
        query=query.urlencode(),
        csv_tables=CSV_TABLES,
    )
    return context


@operator_required
def dashboard(request):
    return render(request, "operator/economics.html", economics_context(request))


@operator_required
def report(request):
    context = economics_context(request)
    if "market" in context:
        local = timezone.localtime(timezone.now(), ZoneInfo(context["market"].time_zone))
        context["generated"] = date_format(local, "j M Y, H:i")
    return render(request, "operator/economics_report.html", context)


# --- What-if ---------------------------------------------------------------------------------


@operator_required
def whatif_page(request):
    pick = WhatIfPickForm.from_query(request.GET)
    context: dict = {"pick": pick}
    if not pick.is_valid():
        return render(request, "operator/economics_whatif.html", context)
    market = pick.cleaned_data["market"]
    category = pick.cleaned_data["category"]
    period = pick.period(market)
    window = {"start": period.start, "end": period.end}
    try:
        current = whatif.current_whatif(market, category, **window)
    except DomainError as exc:
        messages.error(request, exc.message)
        return render(request, "operator/economics_whatif.html", context)
    model = whatif.fit_choice_model(market, period.start, period.end)
    now = whatif.project(market, category, current, model=model, **window)
    typed = any(name in request.GET for name in SCENARIO_FIELDS)
    form = WhatIfForm(
        request.GET if typed else None, market=market, initial=WhatIfForm.initial_for(current)
    )
    scenario = None
    if typed and form.is_valid():
        try:
            scenario = whatif.project(
                market, category, whatif.WhatIf(**form.scenario()), model=model, **window
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
    shown = scenario or now
    marks = [(gettext("current"), now.price_ratio)]
    if scenario is not None:
        marks.append((gettext("what-if"), scenario.price_ratio))
    context.update(
        form=form,
        market=market,
        category=category,
        period=period,
        model=model,
        fit_quality=fit_quality(model),
        current=now,
        scenario=scenario,
        comparison=compare(now, shown, market.currency),
        choice_svg=charts.choice_chart(
            metrics.choice_points(Scope(market=market, **window)),
            model=model,
            free_install=current.professional_install_free
            or shown.whatif.professional_install_free,
            marks=marks,
        ),
    )
    return render(request, "operator/economics_whatif.html", context)


# --- Exports -----------------------------------------------------------------------------------


def _plain_400(text: str) -> HttpResponseBadRequest:
    return HttpResponseBadRequest(text, content_type="text/plain; charset=utf-8")


@operator_required
def csv_export(request):
    """One table as a CSV attachment (``economics.exports``: minor units, rates 0..1)."""
    table = request.GET.get("table", "")
    if table not in exports.EXPORTS:
        return _plain_400(
            gettext("Unknown table; use one of: %(tables)s.")
            % {"tables": ", ".join(exports.EXPORTS)}
        )
    form = EconomicsFilterForm.from_query(request.GET)
    if not form.is_valid():
        return _plain_400(
            "\n".join(
                f"{form.fields[name].label if name in form.fields else gettext('Filters')}: {error}"
                for name, errors in form.errors.items()
                for error in errors
            )
        )
    market = form.cleaned_data["market"]
    filename, text = exports.EXPORTS[table](scope_of(form, form.period(market)))
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
