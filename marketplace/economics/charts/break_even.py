"""Monthly confirmed jobs against the break-even line."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.utils.dateformat import format as date_format
from django.utils.safestring import SafeString
from django.utils.translation import gettext, ngettext

from marketplace.economics.charts.svg import (
    GREEN,
    MUTED,
    VERMILION,
    Plot,
    _box,
    _e,
    _empty,
    _legend,
    _line,
    _n,
    _scale,
    _svg,
    _text,
    _x_labels,
    _y_axis,
    nice_ticks,
)


def _month(d, *, with_year: bool) -> str:
    """Mar 25 or Mar, the month abbreviated in the active language."""
    return date_format(d, "M y" if with_year else "M")


def break_even_chart(
    months: Sequence,
    *,
    break_even: int | None,
    note: str = "",
    partial: Iterable = (),
    chart_id: str = "break-even",
) -> SafeString:
    """Confirmed jobs per month (bars, each labelled with its count) against the break-even jobs
    per month (a dashed line). Without a break-even (margin per job ≤ 0 or no jobs) there is no
    line and the chart says "no break-even". Months in ``partial`` (month dates only partly in
    the period) are hatched and starred: their count is not a month's worth. ``months``: rows
    with month (date) and confirmed."""
    title = gettext("Confirmed jobs per month against the break-even line")
    if not months:
        return _empty(chart_id, title)
    plot = Plot()
    top = max([m.confirmed for m in months] + [break_even or 0])
    ticks = nice_ticks(top * 1.08 if break_even else top, integer=True)
    y = _scale(0, ticks[-1], plot.bottom, plot.top)
    body = _y_axis(plot, ticks, y, label=gettext("Confirmed jobs per month"))
    group = plot.width / len(months)
    with_year = len({m.month.year for m in months}) > 1
    partial = set(partial)
    labels = [
        _month(m.month, with_year=with_year) + ("*" if m.month in partial else "") for m in months
    ]
    body.append(
        f'<defs><pattern id="{chart_id}-partial" width="6" height="6" '
        'patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
        f'<rect width="6" height="6" fill="#fff"/><rect width="3" height="6" fill="{GREEN}"/>'
        "</pattern></defs>"
    )
    centres = []
    for i, m in enumerate(months):
        cx = plot.left + (i + 0.5) * group
        centres.append(cx)
        fill = f"url(#{chart_id}-partial)" if m.month in partial else GREEN
        if m.month in partial:
            tip = ngettext(
                "%(month)s: %(count)s confirmed job (part of the month only)",
                "%(month)s: %(count)s confirmed jobs (part of the month only)",
                m.confirmed,
            )
        else:
            tip = ngettext(
                "%(month)s: %(count)s confirmed job",
                "%(month)s: %(count)s confirmed jobs",
                m.confirmed,
            )
        tip %= {"month": labels[i], "count": m.confirmed}
        body.append(
            f'<rect class="bar bar-confirmed" x="{_n(plot.left + i * group + group * 0.2)}" '
            f'y="{_n(y(m.confirmed))}" width="{_n(group * 0.6)}" '
            f'height="{_n(plot.bottom - y(m.confirmed))}" fill="{fill}" stroke="{GREEN}">'
            f"<title>{_e(tip)}</title></rect>"
        )
        if len(months) <= 24:
            body.append(_text(cx, y(m.confirmed) - 4, m.confirmed, class_="value"))
    body += _x_labels(plot, labels, centres, gettext("Month"))
    legend = [(_box(GREEN), gettext("Confirmed jobs"))]
    if partial & {m.month for m in months}:
        swatch = f'<rect width="12" height="12" fill="url(#{chart_id}-partial)" stroke="{GREEN}"/>'
        legend.append((swatch, gettext("* part of a month")))
    if break_even is not None:
        yy = y(break_even)
        body.append(
            _line(
                plot.left,
                yy,
                plot.right,
                yy,
                stroke=VERMILION,
                stroke_width=2,
                stroke_dasharray="8 5",
                class_="break-even",
            )
        )
        body.append(
            _text(
                plot.right - 4,
                yy - 6,
                ngettext(
                    "Break-even: %(count)s job a month",
                    "Break-even: %(count)s jobs a month",
                    break_even,
                )
                % {"count": break_even},
                anchor="end",
                fill=VERMILION,
                font_weight="bold",
                stroke="#fff",
                stroke_width=3,
                paint_order="stroke",
            )
        )
        swatch = (
            f'<line x1="0" y1="6" x2="12" y2="6" stroke="{VERMILION}" stroke-width="2" '
            'stroke-dasharray="4 2"/>'
        )
        legend.append((swatch, gettext("Break-even")))
        above = sum(1 for m in months if m.confirmed >= break_even)
        desc = ngettext(
            "%(count)s month from %(first)s to %(last)s; break-even at %(needed)s jobs a month; "
            "%(above)s of %(count)s month at or above it.",
            "%(count)s months from %(first)s to %(last)s; break-even at %(needed)s jobs a month; "
            "%(above)s of %(count)s months at or above it.",
            len(months),
        ) % {
            "count": len(months),
            "first": labels[0],
            "last": labels[-1],
            "needed": break_even,
            "above": above,
        }
    else:
        body.append(
            _text(
                plot.right - 4,
                18,
                gettext("no break-even"),
                anchor="end",
                font_size=14,
                font_weight="bold",
                class_="no-break-even",
            )
        )
        if note:
            body.append(_text(plot.right - 4, 36, note, anchor="end", fill=MUTED))
        desc = ngettext(
            "%(count)s month from %(first)s to %(last)s; no break-even.",
            "%(count)s months from %(first)s to %(last)s; no break-even.",
            len(months),
        ) % {"count": len(months), "first": labels[0], "last": labels[-1]}
        desc += f" {note}"
    body += _legend(legend)
    desc += (
        " "
        + gettext("Confirmed:")
        + " "
        + ", ".join(f"{lab} {m.confirmed}" for lab, m in zip(labels, months, strict=True))
    )
    return _svg(chart_id, title, desc.strip() + ".", body)
