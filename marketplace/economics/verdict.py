"""The economics dashboard in words (DESIGN §7): the headline cards, the diagnoses, the verdict
("does the pilot pay?"), the what-if comparison rows and the choice model's provenance.

Pure functions of ``economics.metrics`` / ``economics.whatif`` results; every text goes through
gettext with named placeholders, so the page reads in the operator's language (figures keep the
same number format in every language).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import timedelta

from django.utils.translation import gettext, ngettext

from marketplace.core.formatting import duration_text, percent_text
from marketplace.core.money import format_money
from marketplace.economics import whatif
from marketplace.economics.metrics import Metrics, MonthRow

# Thresholds of the verdict's diagnoses (documented on the page next to the verdict).
DEMAND_FLOOR = 1.0  # confirmed jobs per active helper per month below this: a demand problem
FILL_FLOOR = 0.5  # fill rate below this: a supply problem
CHOICE_FLOOR = 0.5  # share choosing the helper below this: a price problem


@dataclass(frozen=True)
class Card:
    label: str
    value: str
    note: str = ""


@dataclass(frozen=True)
class Verdict:
    pays: bool | None  # None: cannot tell (no requests) or mixed
    headline: str
    reasons: tuple[str, ...] = ()

    @property
    def tone(self) -> str:
        return {True: "good", False: "bad", None: "mixed"}[self.pays]


@dataclass(frozen=True)
class Comparison:
    label: str
    now: str
    then: str


# --- Numbers as text ----------------------------------------------------------------------------


def _pct1(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f} %"


def _few(value: float) -> str:
    """0.24 → "0.2", 0.0066 → "0.0066": small rates keep two significant digits."""
    return f"{value:.1f}" if value >= 0.1 or value == 0 else f"{value:.2g}"


def _per_month(m: Metrics, value: float | None) -> float | None:
    return None if value is None or not m.months else value / m.months


def jobs_a_month(count: int) -> str:
    return ngettext("%(count)s job a month", "%(count)s jobs a month", count) % {"count": count}


# --- Cards --------------------------------------------------------------------------------------


def cards(m: Metrics, fill_within: str) -> list[Card]:
    money = functools.partial(format_money, currency=m.currency)
    jobs_per_helper = _per_month(m, m.jobs_per_active_helper)
    if m.break_even_jobs_per_month is None:
        break_even_value = gettext("none")
        break_even_note = f"{m.break_even_note}. "
    else:
        break_even_value = jobs_a_month(m.break_even_jobs_per_month)
        break_even_note = ""
    break_even_note += gettext(
        "Now %(pace)s confirmed a month; fixed cost %(fixed_cost)s a month."
    ) % {"pace": f"{m.confirmed_per_month:.1f}", "fixed_cost": money(m.fixed_cost_per_month)}
    return [
        Card(
            gettext("Requests posted"),
            str(m.posted),
            gettext("%(count)s asked for a helper") % {"count": m.helper_requests},
        ),
        Card(
            gettext("Fill rate"),
            percent_text(m.fill_rate),
            gettext("accepted within %(within)s") % {"within": fill_within},
        ),
        Card(
            gettext("Time to accept"),
            gettext("%(duration)s median") % {"duration": duration_text(m.median_accept_seconds)},
            gettext("p90 %(duration)s") % {"duration": duration_text(m.p90_accept_seconds)},
        ),
        Card(
            gettext("Utilisation"),
            percent_text(m.utilisation),
            ngettext(
                "%(busy)s of %(active)s active helper had a confirmed job",
                "%(busy)s of %(active)s active helpers had a confirmed job",
                m.active_helpers,
            )
            % {"busy": m.helpers_with_confirmed_jobs, "active": m.active_helpers},
        ),
        Card(
            gettext("Jobs per active helper"),
            "—" if m.jobs_per_active_helper is None else _few(m.jobs_per_active_helper),
            ""
            if jobs_per_helper is None
            else gettext("%(rate)s a month") % {"rate": _few(jobs_per_helper)},
        ),
        Card(gettext("GMV"), money(m.gmv), gettext("captured, less refunds")),
        Card(gettext("Net revenue"), money(m.net_revenue), gettext("fees less fee refunds")),
        Card(gettext("Take rate"), _pct1(m.take_rate), gettext("net revenue ÷ GMV")),
        Card(
            gettext("Margin per job"),
            "—" if m.contribution_margin_per_job is None else money(m.contribution_margin_per_job),
            gettext("after %(costs)s estimated processing costs")
            % {"costs": money(m.processing_costs)},
        ),
        Card(gettext("Break-even"), break_even_value, break_even_note),
        Card(
            gettext("NPS"),
            "—" if m.nps is None else f"{m.nps:+.0f}",
            ngettext("%(count)s answer", "%(count)s answers", m.nps_answers)
            % {"count": m.nps_answers},
        ),
        Card(
            gettext("CSAT"),
            "—" if m.csat is None else f"{m.csat:.1f} / 5",
            ngettext("%(count)s rating", "%(count)s ratings", m.csat_answers)
            % {"count": m.csat_answers},
        ),
        Card(
            gettext("Price ratio"),
            "—" if m.price_ratio is None else f"{m.price_ratio:.2f}",
            gettext("helper ÷ professional list price, as quoted"),
        ),
        Card(
            gettext("Chose the helper"),
            percent_text(m.helper_choice_share),
            gettext("of requests posted"),
        ),
        Card(
            gettext("Repeat rate"),
            percent_text(m.repeat_rate),
            gettext("customers with 2 or more requests"),
        ),
        Card(
            gettext("Helper retention"),
            percent_text(m.helper_retention),
            gettext("confirmed jobs in both halves of the period"),
        ),
    ]


# --- Judgement ----------------------------------------------------------------------------------


def complete_months(rows: list[MonthRow], period) -> list[MonthRow]:
    """The months wholly inside the period (a partial month would understate the pace);
    ``period``: anything with ``first_day`` and ``last_day`` (the forms' Period)."""
    after_last = period.last_day + timedelta(days=1)
    return [
        r
        for r in rows
        if r.month >= period.first_day
        and (r.month.replace(day=28) + timedelta(days=4)).replace(day=1) <= after_last
    ]


def diagnoses(m: Metrics, fill_within: str, free_share: float = 0.0) -> tuple[str, ...]:
    found = []
    per_helper = _per_month(m, m.jobs_per_active_helper)
    if m.active_helpers == 0:
        found.append(gettext("Supply problem: there is no active helper."))
    elif per_helper is not None and per_helper < DEMAND_FLOOR:
        found.append(
            ngettext(
                "Demand problem: %(rate)s jobs per active helper per month (%(helpers)s active "
                "helper, %(pace)s confirmed jobs a month).",
                "Demand problem: %(rate)s jobs per active helper per month (%(helpers)s active "
                "helpers, %(pace)s confirmed jobs a month).",
                m.active_helpers,
            )
            % {
                "rate": _few(per_helper),
                "helpers": m.active_helpers,
                "pace": f"{m.confirmed_per_month:.1f}",
            }
        )
    if m.fill_rate is not None and m.fill_rate < FILL_FLOOR:
        found.append(
            gettext(
                "Supply problem: only %(share)s of requests for a helper were accepted within "
                "%(within)s."
            )
            % {"share": percent_text(m.fill_rate), "within": fill_within}
        )
    if m.helper_choice_share is not None and m.helper_choice_share < CHOICE_FLOOR:
        share = percent_text(m.helper_choice_share)
        if m.price_ratio is None:
            text = gettext("Price problem: only %(share)s of customers chose the helper") % {
                "share": share
            }
        else:
            text = gettext(
                "Price problem: only %(share)s of customers chose the helper at a price ratio of "
                "%(ratio)s"
            ) % {"share": share, "ratio": f"{m.price_ratio:.2f}"}
        if free_share:
            text += gettext("; professional installation was free for %(share)s of the quotes") % {
                "share": percent_text(free_share)
            }
        found.append(text + ".")
    if m.nps is not None and m.nps < 0:
        found.append(gettext("Quality problem: NPS is %(nps)s.") % {"nps": f"{m.nps:+.0f}"})
    return tuple(found)


def verdict(
    m: Metrics,
    months: list[MonthRow],
    period,
    fill_within: str,
    free_share: float = 0.0,
) -> Verdict:
    """Does the pilot pay? In words, from break-even and the last (up to) three whole months;
    ``free_share``: the share of quotes where professional installation was free."""
    if m.posted == 0:
        return Verdict(None, gettext("No requests in this period: there is nothing to judge yet."))
    reasons = diagnoses(m, fill_within, free_share)
    needed = m.break_even_jobs_per_month
    if needed is None:
        return Verdict(False, f"{m.break_even_note}.", reasons)
    recent = complete_months(months, period)[-3:]
    if not recent:  # less than a whole month: compare the pace
        pace = m.confirmed_per_month
        pays = pace >= needed
        values = {"pace": f"{pace:.1f}", "needed": needed}
        if pays:
            headline = gettext(
                "On pace to pay: %(pace)s confirmed jobs a month against %(needed)s needed (less "
                "than one whole month in the period)."
            )
        else:
            headline = gettext(
                "Below break-even: %(pace)s confirmed jobs a month against %(needed)s needed "
                "(less than one whole month in the period)."
            )
        return Verdict(pays, headline % values, reasons)
    values = {
        "count": len(recent),
        "figures": ", ".join(str(r.confirmed) for r in recent),
        "needed": needed,
    }
    reached = [r for r in recent if r.confirmed >= needed]
    if len(reached) == len(recent):
        if all(r.confirmed > needed for r in recent):
            headline = ngettext(
                "Confirmed jobs are above break-even in the last month (%(figures)s against "
                "%(needed)s a month).",
                "Confirmed jobs are above break-even in the last %(count)s months (%(figures)s "
                "against %(needed)s a month).",
                len(recent),
            )
        else:
            headline = ngettext(
                "Confirmed jobs are at or above break-even in the last month (%(figures)s "
                "against %(needed)s a month).",
                "Confirmed jobs are at or above break-even in the last %(count)s months "
                "(%(figures)s against %(needed)s a month).",
                len(recent),
            )
        return Verdict(True, headline % values, reasons)
    if reached:
        headline = ngettext(
            "Not steady yet: confirmed jobs reached break-even in %(reached)s of the last month "
            "(%(figures)s against %(needed)s a month).",
            "Not steady yet: confirmed jobs reached break-even in %(reached)s of the last "
            "%(count)s months (%(figures)s against %(needed)s a month).",
            len(recent),
        )
        return Verdict(None, headline % {**values, "reached": len(reached)}, reasons)
    headline = ngettext(
        "Confirmed jobs are below break-even in the last month (%(figures)s against %(needed)s "
        "a month).",
        "Confirmed jobs are below break-even in the last %(count)s months (%(figures)s against "
        "%(needed)s a month).",
        len(recent),
    )
    return Verdict(False, headline % values, reasons)


# --- The choice model and the what-if -------------------------------------------------------------


def fit_quality(model: whatif.ChoiceModel) -> str:
    """The model's provenance in plain words."""
    r2 = gettext("not defined") if model.pseudo_r2 is None else f"{model.pseudo_r2:.2f}"
    if model.source == "fitted":
        values = {"n": model.n, "points": model.points, "r2": r2}
        if model.held_at_prior:
            return gettext(
                "Fitted on %(n)s quotes (%(points)s price pairs); McFadden pseudo-R² %(r2)s; held "
                "at the prior value: %(held)s."
            ) % {**values, "held": ", ".join(model.held_at_prior)}
        return (
            gettext("Fitted on %(n)s quotes (%(points)s price pairs); McFadden pseudo-R² %(r2)s.")
            % values
        )
    return gettext(
        "Not fitted: a prior guess is used, %(why)s (%(n)s quotes observed). Treat the projection "
        "as a placeholder."
    ) % {"why": whatif.source_reason(model.source), "n": model.n}


def compare(
    current: whatif.Projection, scenario: whatif.Projection, currency: str
) -> list[Comparison]:
    """Today's values and the scenario's, row by row."""
    money = functools.partial(format_money, currency=currency)

    def maybe(value, fmt=money):
        return gettext("none") if value is None else fmt(value)

    def yes_no(value: bool) -> str:
        return gettext("yes") if value else gettext("no")

    def rows(p: whatif.Projection) -> list[tuple[str, str]]:
        w = p.whatif
        return [
            (gettext("Helper fee"), money(w.helper_fee)),
            (gettext("Commission"), f"{w.commission_bps / 100:g} %"),
            (gettext("Professional list price"), money(w.professional_price)),
            (gettext("Professional installation free"), yes_no(w.professional_install_free)),
            (gettext("Price ratio (helper ÷ professional)"), f"{p.price_ratio:.2f}"),
            (gettext("Requests per month"), f"{p.requests_per_month:.1f}"),
            (gettext("Customers choosing the helper"), _pct1(p.helper_share)),
            (gettext("Helper jobs per month"), f"{p.helper_jobs_per_month:.1f}"),
            (gettext("Platform fee per job"), money(p.fee_per_job)),
            (gettext("Margin per job"), maybe(p.margin_per_job)),
            (gettext("Net revenue per month"), money(p.net_revenue_per_month)),
            (gettext("Fixed cost per month"), money(w.fixed_cost_per_month)),
            (gettext("Break-even"), maybe(p.break_even_jobs_per_month, jobs_a_month)),
            (gettext("Profit per month"), money(p.profit_per_month)),
        ]

    return [
        Comparison(label, now, then)
        for (label, now), (_, then) in zip(rows(current), rows(scenario), strict=True)
    ]
