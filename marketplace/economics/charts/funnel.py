"""Weekly funnel: posted, offered, accepted and confirmed requests, with the fill-rate line."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.safestring import SafeString
from django.utils.translation import gettext, gettext_noop, ngettext

from marketplace.economics.charts.svg import (
    BLUE,
    GREEN,
    INK,
    ORANGE,
    WIDTH,
    Plot,
    _box,
    _day,
    _e,
    _empty,
    _legend,
    _n,
    _pct,
    _scale,
    _svg,
    _x_labels,
    _y_axis,
    nice_ticks,
)

# (attribute, legend label msgid, colour); the label is translated where it is drawn.
FUNNEL_SERIES = (
    ("posted", gettext_noop("Posted"), BLUE),
    ("accepted", gettext_noop("Accepted"), ORANGE),
    ("confirmed", gettext_noop("Confirmed"), GREEN),
)
# The bars' tooltips: "Week of 3 Mar: 12 posted".
_TIPS = {
    "posted": gettext_noop("Week of %(week)s: %(count)s posted"),
    "accepted": gettext_noop("Week of %(week)s: %(count)s accepted"),
    "confirmed": gettext_noop("Week of %(week)s: %(count)s confirmed"),
}


def funnel_chart(
    weeks: Sequence, *, fill_within: str = "1 h", chart_id: str = "funnel"
) -> SafeString:
    """Bars posted / accepted / confirmed per week (left axis) and the fill rate within T as a
    line on a 0–100 % right axis. ``weeks``: rows with week_start, posted, accepted, confirmed,
    fill_rate (0..1 or None)."""
    title = gettext(
        "Weekly funnel: requests posted, accepted and confirmed, and fill rate within %(within)s"
    ) % {"within": fill_within}
    fill_label = gettext("Fill rate within %(within)s") % {"within": fill_within}
    if not weeks:
        return _empty(chart_id, title)
    plot = Plot(right=WIDTH - 64)
    top = max(max(w.posted, w.accepted, w.confirmed) for w in weeks)
    ticks = nice_ticks(top, integer=True)
    y = _scale(0, ticks[-1], plot.bottom, plot.top)
    y_pct = _scale(0, 1, plot.bottom, plot.top)
    group = plot.width / len(weeks)
    bar = group * 0.8 / 3
    body = _y_axis(plot, ticks, y, label=gettext("Requests per week"))
    body += _y_axis(
        plot,
        [0, 0.25, 0.5, 0.75, 1],
        y_pct,
        label=fill_label,
        right=True,
        fmt=lambda t: f"{round(t * 100)} %",
    )
    centres = []
    for i, w in enumerate(weeks):
        x0 = plot.left + i * group + group * 0.1
        centres.append(plot.left + (i + 0.5) * group)
        for j, (attr, _label, colour) in enumerate(FUNNEL_SERIES):
            value = getattr(w, attr)
            tip = gettext(_TIPS[attr]) % {"week": _day(w.week_start), "count": value}
            body.append(
                f'<rect class="bar bar-{attr}" x="{_n(x0 + j * bar)}" y="{_n(y(value))}" '
                f'width="{_n(max(bar, 0.5))}" height="{_n(plot.bottom - y(value))}" '
                f'fill="{colour}"><title>{_e(tip)}</title></rect>'
            )
    body += _x_labels(plot, [_day(w.week_start) for w in weeks], centres, gettext("Week starting"))
    body += _polyline(
        [
            (cx, None if w.fill_rate is None else y_pct(w.fill_rate))
            for cx, w in zip(centres, weeks, strict=True)
        ],
        [
            gettext("Week of %(week)s: fill rate %(rate)s")
            % {"week": _day(w.week_start), "rate": _pct(w.fill_rate)}
            for w in weeks
        ],
        colour=INK,
    )
    line_swatch = (
        f'<line x1="0" y1="6" x2="12" y2="6" stroke="{INK}" stroke-width="2"/>'
        f'<circle cx="6" cy="6" r="3" fill="{INK}"/>'
    )
    body += _legend(
        [(_box(c), gettext(label)) for _, label, c in FUNNEL_SERIES] + [(line_swatch, fill_label)]
    )
    totals = {attr: sum(getattr(w, attr) for w in weeks) for attr, _, _ in FUNNEL_SERIES}
    rates = [w.fill_rate for w in weeks if w.fill_rate is not None]
    desc = ngettext(
        "%(count)s week from %(first)s to %(last)s: %(posted)s requests posted, %(accepted)s "
        "accepted, %(confirmed)s confirmed.",
        "%(count)s weeks from %(first)s to %(last)s: %(posted)s requests posted, %(accepted)s "
        "accepted, %(confirmed)s confirmed.",
        len(weeks),
    ) % {
        "count": len(weeks),
        "first": _day(weeks[0].week_start),
        "last": _day(weeks[-1].week_start),
        **totals,
    }
    if rates:
        desc += " " + gettext("Weekly fill rate between %(low)s and %(high)s.") % {
            "low": _pct(min(rates)),
            "high": _pct(max(rates)),
        }
    return _svg(chart_id, title, desc, body)


def _polyline(
    points: Sequence[tuple[float, float | None]], labels: Sequence[str], *, colour: str
) -> list[str]:
    """A line through the points, broken where a value is missing, with a marker per value."""
    out, run = [], []
    for x, y in [*points, (0.0, None)]:
        if y is not None:
            run.append(f"{_n(x)},{_n(y)}")
        elif run:
            out.append(
                f'<polyline class="series-line" points="{" ".join(run)}" fill="none" '
                f'stroke="{colour}" stroke-width="2"/>'
            )
            run = []
    for (x, y), label in zip(points, labels, strict=True):
        if y is not None:
            out.append(
                f'<circle class="point" cx="{_n(x)}" cy="{_n(y)}" r="3.5" fill="{colour}" '
                f'stroke="#fff" stroke-width="1"><title>{_e(label)}</title></circle>'
            )
    return out
