"""Server-side SVG charts for the operator economics pages (DESIGN §7): no JavaScript, no CDN.

Each renderer is a pure function of plain rows (the dataclasses of ``economics.metrics``, read by
attribute) returning one ``<svg role="img">`` element as a SafeString, with a ``<title>`` and a
``<desc>`` named by ``aria-labelledby``, labelled axes with ticks, and a legend wherever colour
carries meaning. All text goes through ``escape``. Empty input gives a chart that says so rather
than an exception.

Colours: the Okabe–Ito palette for series and five steps of viridis for the map, both readable
with the common colour-vision deficiencies; "no helpers" on the map is a hatch, not a hue. The
pages put a table with the same figures under each chart for screen readers.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT, MAP_HEIGHT = 640, 320, 440
INK, MUTED, GRID = "#1b1f24", "#4a5360", "#d4d9e0"
# Okabe–Ito
BLUE, ORANGE, GREEN, VERMILION, PURPLE, SKY = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#D55E00",
    "#CC79A7",
    "#56B4E9",
)
# Demand/supply buckets: requests per active helper in the period (upper bounds) and viridis.
RATIO_BUCKETS = (
    (0.5, "under 0.5", "#fde725"),
    (1.0, "0.5 to 1", "#5ec962"),
    (2.0, "1 to 2", "#21918c"),
    (4.0, "2 to 4", "#3b528b"),
    (math.inf, "4 or more", "#440154"),
)
NO_HELPERS = "no helpers"
NO_DATA = "No data for this period"
_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")


@dataclass(frozen=True)
class Plot:
    """The plotting area inside the margins of a WIDTH × height canvas."""

    left: float = 56
    right: float = WIDTH - 60
    top: float = 44
    bottom: float = HEIGHT - 52

    @property
    def width(self) -> float:
        return self.right - self.left

    @property
    def height(self) -> float:
        return self.bottom - self.top


# --- Small pieces -------------------------------------------------------------------------------


def _e(text: object) -> str:
    return escape(str(text))


def _n(value: float) -> str:
    """A compact coordinate: 12.0 → "12", 12.345 → "12.3"."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{round(value * 100)} %"


def nice_ticks(top: float, *, count: int = 5, integer: bool = False) -> list[float]:
    """0, s, 2s, … up to at least ``top`` with a step s of 1, 2 or 5 × 10^k."""
    top = top if top > 0 else 1
    raw = top / count
    step = 10 ** math.floor(math.log10(raw))
    for mult in (1, 2, 5, 10):
        if mult * step >= raw:
            step *= mult
            break
    if integer:
        step = max(1, round(step))
    n = math.ceil(top / step - 1e-9)
    return [round(step * i, 10) for i in range(n + 1)]


def _tick_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _svg(chart_id: str, title: str, desc: str, body: Iterable[str], height: int = HEIGHT) -> str:
    if not _ID.match(chart_id):
        raise ValueError(f"Chart id {chart_id!r} must be a simple identifier")
    return mark_safe(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{chart_id}" role="img" '
        f'viewBox="0 0 {WIDTH} {height}" preserveAspectRatio="xMidYMid meet" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" '
        f'font-family="system-ui, sans-serif" font-size="12" fill="{INK}">'
        f'<title id="{chart_id}-title">{_e(title)}</title>'
        f'<desc id="{chart_id}-desc">{_e(desc)}</desc>' + "".join(body) + "</svg>"
    )


def _text(x: float, y: float, text: object, *, anchor: str = "middle", **attrs) -> str:
    extra = "".join(f' {k.rstrip("_").replace("_", "-")}="{_e(v)}"' for k, v in attrs.items())
    return f'<text x="{_n(x)}" y="{_n(y)}" text-anchor="{anchor}"{extra}>{_e(text)}</text>'


def _line(x1, y1, x2, y2, *, stroke: str = GRID, **attrs) -> str:
    extra = "".join(f' {k.rstrip("_").replace("_", "-")}="{_e(v)}"' for k, v in attrs.items())
    return (
        f'<line x1="{_n(x1)}" y1="{_n(y1)}" x2="{_n(x2)}" y2="{_n(y2)}" stroke="{stroke}"{extra}/>'
    )


def _empty(chart_id: str, title: str, message: str = NO_DATA, height: int = HEIGHT) -> str:
    plot = Plot()
    body = [
        f'<rect class="frame" x="{plot.left}" y="{plot.top}" width="{plot.width}" '
        f'height="{height - plot.top - 52}" fill="#f3f5f8" stroke="{GRID}"/>',
        _text(
            WIDTH / 2,
            plot.top + (height - plot.top - 52) / 2,
            message,
            font_size=16,
            class_="no-data",
        ),
    ]
    return _svg(chart_id, title, f"{title}. {message}.", body, height)


def _legend(items: Sequence[tuple[str, str]], *, y: float = 18, x: float = 56) -> list[str]:
    """Legend entries left to right; each item is (swatch markup at 0,0 12×12, label)."""
    out = ['<g class="legend">']
    for swatch, label in items:
        out.append(f'<g transform="translate({_n(x)},{_n(y - 10)})">{swatch}</g>')
        out.append(_text(x + 17, y, label, anchor="start"))
        x += 17 + 7 * len(label) + 18
    out.append("</g>")
    return out


def _box(fill: str) -> str:
    return f'<rect width="12" height="12" fill="{fill}" stroke="{INK}" stroke-width="0.5"/>'


def _y_axis(
    plot: Plot, ticks: Sequence[float], y, *, label: str, right: bool = False, fmt=_tick_text
) -> list[str]:
    x = plot.right if right else plot.left
    out = [_line(x, plot.top, x, plot.bottom, stroke=INK)]
    for t in ticks:
        yy = y(t)
        if not right:
            out.append(_line(plot.left, yy, plot.right, yy))
        dx = 6 if right else -6
        out.append(_line(x, yy, x + dx / 2, yy, stroke=INK))
        out.append(_text(x + dx, yy + 4, fmt(t), anchor="start" if right else "end"))
    cx = WIDTH - 12 if right else 14
    cy = (plot.top + plot.bottom) / 2
    out.append(_text(cx, cy, label, transform=f"rotate({90 if right else -90} {_n(cx)} {_n(cy)})"))
    return out


def _x_labels(plot: Plot, labels: Sequence[str], centres: Sequence[float], title: str):
    out = [_line(plot.left, plot.bottom, plot.right, plot.bottom, stroke=INK)]
    widest = max((len(label) for label in labels), default=1) * 7 + 12  # px at font-size 12
    every = max(1, math.ceil(len(labels) * widest / plot.width))
    for i, (label, cx) in enumerate(zip(labels, centres, strict=True)):
        if i % every == 0:
            out.append(_line(cx, plot.bottom, cx, plot.bottom + 4, stroke=INK))
            out.append(_text(cx, plot.bottom + 17, label))
    out.append(_text((plot.left + plot.right) / 2, plot.bottom + 40, title))
    return out


def _scale(d0: float, d1: float, r0: float, r1: float):
    span = (d1 - d0) or 1
    return lambda v: r0 + (v - d0) * (r1 - r0) / span


def _day(d) -> str:
    return f"{d.day} {d:%b}"


# --- (a) Weekly funnel --------------------------------------------------------------------------

FUNNEL_SERIES = (
    ("posted", "Posted", BLUE),
    ("accepted", "Accepted", ORANGE),
    ("confirmed", "Confirmed", GREEN),
)


def funnel_chart(
    weeks: Sequence, *, fill_within: str = "1 h", chart_id: str = "funnel"
) -> SafeString:
    """Bars posted / accepted / confirmed per week (left axis) and the fill rate within T as a
    line on a 0–100 % right axis. ``weeks``: rows with week_start, posted, accepted, confirmed,
    fill_rate (0..1 or None)."""
    title = (
        "Weekly funnel: requests posted, accepted and confirmed, "
        f"and fill rate within {fill_within}"
    )
    if not weeks:
        return _empty(chart_id, title)
    plot = Plot(right=WIDTH - 64)
    top = max(max(w.posted, w.accepted, w.confirmed) for w in weeks)
    ticks = nice_ticks(top, integer=True)
    y = _scale(0, ticks[-1], plot.bottom, plot.top)
    y_pct = _scale(0, 1, plot.bottom, plot.top)
    group = plot.width / len(weeks)
    bar = group * 0.8 / 3
    body = _y_axis(plot, ticks, y, label="Requests per week")
    body += _y_axis(
        plot,
        [0, 0.25, 0.5, 0.75, 1],
        y_pct,
        label=f"Fill rate within {fill_within}",
        right=True,
        fmt=lambda t: f"{round(t * 100)} %",
    )
    centres = []
    for i, w in enumerate(weeks):
        x0 = plot.left + i * group + group * 0.1
        centres.append(plot.left + (i + 0.5) * group)
        for j, (attr, label, colour) in enumerate(FUNNEL_SERIES):
            value = getattr(w, attr)
            tip = f"Week of {_day(w.week_start)}: {value} {label.lower()}"
            body.append(
                f'<rect class="bar bar-{attr}" x="{_n(x0 + j * bar)}" y="{_n(y(value))}" '
                f'width="{_n(max(bar, 0.5))}" height="{_n(plot.bottom - y(value))}" '
                f'fill="{colour}"><title>{_e(tip)}</title></rect>'
            )
    body += _x_labels(plot, [_day(w.week_start) for w in weeks], centres, "Week starting")
    body += _polyline(
        [
            (cx, None if w.fill_rate is None else y_pct(w.fill_rate))
            for cx, w in zip(centres, weeks, strict=True)
        ],
        [f"Week of {_day(w.week_start)}: fill rate {_pct(w.fill_rate)}" for w in weeks],
        colour=INK,
    )
    line_swatch = (
        f'<line x1="0" y1="6" x2="12" y2="6" stroke="{INK}" stroke-width="2"/>'
        f'<circle cx="6" cy="6" r="3" fill="{INK}"/>'
    )
    body += _legend(
        [(_box(c), label) for _, label, c in FUNNEL_SERIES]
        + [(line_swatch, f"Fill rate within {fill_within}")]
    )
    totals = {attr: sum(getattr(w, attr) for w in weeks) for attr, _, _ in FUNNEL_SERIES}
    rates = [w.fill_rate for w in weeks if w.fill_rate is not None]
    desc = (
        f"{len(weeks)} weeks from {_day(weeks[0].week_start)} to {_day(weeks[-1].week_start)}: "
        f"{totals['posted']} requests posted, {totals['accepted']} accepted, "
        f"{totals['confirmed']} confirmed."
    )
    if rates:
        desc += f" Weekly fill rate between {_pct(min(rates))} and {_pct(max(rates))}."
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


# --- (b) Demand/supply map ----------------------------------------------------------------------


def ratio_bucket(posted: int, helpers: int, ratio: float | None) -> tuple[str, str]:
    """(label, fill) of an area on the map's colour scale."""
    if not helpers:
        return NO_HELPERS, "url(#{id}-hatch)"
    value = ratio if ratio is not None else posted / helpers
    for upper, label, colour in RATIO_BUCKETS:
        if value < upper:
            return label, colour
    return RATIO_BUCKETS[-1][1], RATIO_BUCKETS[-1][2]  # pragma: no cover (inf bucket)


def _degrees(value: float, pos: str, neg: str) -> str:
    return f"{abs(value):g}°{pos if value >= 0 else neg}"


def _graticule_step(span: float) -> float:
    for step in (0.1, 0.2, 0.25, 0.5, 1, 2, 5, 10):
        if span / step <= 8:
            return step
    return 20


def area_map(
    areas: Sequence,
    *,
    cell_deg: tuple[float, float] | None = None,
    places: Sequence[tuple[str, float, float]] = (),
    bbox: tuple[float, float, float, float] | None = None,
    cell_km: int | None = None,
    chart_id: str = "area-map",
) -> SafeString:
    """One square per grid cell on a plain latitude/longitude grid (equirectangular, x scaled by
    the cosine of the middle latitude so cells look square), coloured by requests per active
    helper. ``areas``: rows with cell, lat, lng (cell centre), posted, active_helpers,
    demand_supply_ratio. ``cell_deg`` = (dlat, dlng) of a cell; ``places`` = (name, lat, lng) for
    orientation; ``bbox`` = (south, north, west, east), default: around the areas and places."""
    title = "Demand and supply by area: requests per active helper"
    if not areas:
        return _empty(chart_id, title, height=MAP_HEIGHT)
    dlat, dlng = cell_deg or (0.05, 0.07)
    if bbox is None:
        lats = [a.lat for a in areas] + [p[1] for p in places]
        lngs = [a.lng for a in areas] + [p[2] for p in places]
        bbox = (min(lats) - dlat, max(lats) + dlat, min(lngs) - dlng, max(lngs) + dlng)
    south, north, west, east = bbox
    south, north = sorted((south, north))
    west, east = sorted((west, east))
    north = max(north, south + dlat)  # a single cell still gets a visible box
    east = max(east, west + dlng)
    kx = math.cos(math.radians((south + north) / 2))
    plot = Plot(left=64, right=WIDTH - 20, top=16, bottom=MAP_HEIGHT - 96)
    scale = min(plot.width / ((east - west) * kx), plot.height / (north - south))
    x0 = plot.left + (plot.width - (east - west) * kx * scale) / 2
    y0 = plot.top + (plot.height - (north - south) * scale) / 2

    def px(lng: float) -> float:
        return x0 + (lng - west) * kx * scale

    def py(lat: float) -> float:
        return y0 + (north - lat) * scale

    body = [
        "<defs>"
        f'<pattern id="{chart_id}-hatch" width="5" height="5" patternUnits="userSpaceOnUse" '
        f'patternTransform="rotate(45)"><rect width="5" height="5" fill="#fff"/>'
        f'<line x1="0" y1="0" x2="0" y2="5" stroke="{VERMILION}" stroke-width="3"/></pattern>'
        "</defs>",
        f'<rect class="frame" x="{_n(px(west))}" y="{_n(py(north))}" '
        f'width="{_n(px(east) - px(west))}" height="{_n(py(south) - py(north))}" '
        f'fill="#f3f5f8" stroke="{INK}"/>',
    ]
    step = _graticule_step(max(north - south, east - west))
    lat = math.ceil(south / step) * step
    while lat <= north + 1e-9:
        body.append(_line(px(west), py(lat), px(east), py(lat)))
        body.append(
            _text(px(west) - 6, py(lat) + 4, _degrees(round(lat, 4), "N", "S"), anchor="end")
        )
        lat += step
    lng = math.ceil(west / step) * step
    while lng <= east + 1e-9:
        body.append(_line(px(lng), py(north), px(lng), py(south)))
        body.append(_text(px(lng), py(south) + 16, _degrees(round(lng, 4), "E", "W")))
        lng += step
    body.append(_text((px(west) + px(east)) / 2, py(south) + 34, "Longitude"))
    cy = (py(north) + py(south)) / 2
    body.append(_text(14, cy, "Latitude", transform=f"rotate(-90 14 {_n(cy)})"))

    w, h = max(dlng * kx * scale, 3), max(dlat * scale, 3)
    counts: dict[str, int] = {}
    for a in sorted(areas, key=lambda a: tuple(a.cell)):
        label, fill = ratio_bucket(a.posted, a.active_helpers, a.demand_supply_ratio)
        counts[label] = counts.get(label, 0) + 1
        value = a.demand_supply_ratio
        if value is None and a.active_helpers:
            value = a.posted / a.active_helpers
        ratio = "no helpers" if not a.active_helpers else f"{value:.1f}"
        tip = (
            f"Area {a.cell[0]}:{a.cell[1]}: {a.posted} requests, {a.active_helpers} helpers, "
            f"{ratio} requests per helper"
        )
        body.append(
            f'<rect class="cell" x="{_n(px(a.lng) - w / 2)}" y="{_n(py(a.lat) - h / 2)}" '
            f'width="{_n(w)}" height="{_n(h)}" fill="{fill.format(id=chart_id)}" '
            f'stroke="{INK}" stroke-width="0.4"><title>{_e(tip)}</title></rect>'
        )
    for name, lat, lng in places:
        if south <= lat <= north and west <= lng <= east:
            body.append(
                f'<g class="place"><circle cx="{_n(px(lng))}" cy="{_n(py(lat))}" r="2.5" '
                f'fill="{INK}"/>'
                + _text(
                    px(lng) + 5,
                    py(lat) - 4,
                    name,
                    anchor="start",
                    stroke="#fff",
                    stroke_width=3,
                    paint_order="stroke",
                    font_size=11,
                )
                + "</g>"
            )
    hatch = f'<rect width="12" height="12" fill="url(#{chart_id}-hatch)" stroke="{INK}"/>'
    body += _legend(
        [(_box(colour), label) for _, label, colour in RATIO_BUCKETS] + [(hatch, NO_HELPERS)],
        y=MAP_HEIGHT - 10,
        x=64,
    )
    body.append(
        _text(64, MAP_HEIGHT - 34, "Requests per active helper in the period:", anchor="start")
    )
    size = f"{cell_km} km " if cell_km else ""
    order = [label for _, label, _ in RATIO_BUCKETS] + [NO_HELPERS]
    desc = f"{len(areas)} {size}areas with requests or helpers. " + "; ".join(
        f"{counts[label]} {label}" for label in order if label in counts
    )
    if places:
        desc += ". Places shown for orientation: " + ", ".join(p[0] for p in places)
    return _svg(chart_id, title, desc + ".", body, MAP_HEIGHT)


# --- (c) Monthly jobs against break-even --------------------------------------------------------


def _month(d, *, with_year: bool) -> str:
    return f"{d:%b} {d:%y}" if with_year else f"{d:%b}"


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
    title = "Confirmed jobs per month against the break-even line"
    if not months:
        return _empty(chart_id, title)
    plot = Plot()
    top = max([m.confirmed for m in months] + [break_even or 0])
    ticks = nice_ticks(top * 1.08 if break_even else top, integer=True)
    y = _scale(0, ticks[-1], plot.bottom, plot.top)
    body = _y_axis(plot, ticks, y, label="Confirmed jobs per month")
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
        tip = f"{labels[i]}: {m.confirmed} confirmed jobs"
        if m.month in partial:
            tip += " (part of the month only)"
        body.append(
            f'<rect class="bar bar-confirmed" x="{_n(plot.left + i * group + group * 0.2)}" '
            f'y="{_n(y(m.confirmed))}" width="{_n(group * 0.6)}" '
            f'height="{_n(plot.bottom - y(m.confirmed))}" fill="{fill}" stroke="{GREEN}">'
            f"<title>{_e(tip)}</title></rect>"
        )
        if len(months) <= 24:
            body.append(_text(cx, y(m.confirmed) - 4, m.confirmed, class_="value"))
    body += _x_labels(plot, labels, centres, "Month")
    legend = [(_box(GREEN), "Confirmed jobs")]
    if partial & {m.month for m in months}:
        swatch = f'<rect width="12" height="12" fill="url(#{chart_id}-partial)" stroke="{GREEN}"/>'
        legend.append((swatch, "* part of a month"))
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
                f"Break-even: {break_even} jobs a month",
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
        legend.append((swatch, "Break-even"))
        above = sum(1 for m in months if m.confirmed >= break_even)
        desc = (
            f"{len(months)} months from {labels[0]} to {labels[-1]}; break-even at {break_even} "
            f"jobs a month; {above} of {len(months)} months at or above it."
        )
    else:
        body.append(
            _text(
                plot.right - 4,
                18,
                "no break-even",
                anchor="end",
                font_size=14,
                font_weight="bold",
                class_="no-break-even",
            )
        )
        if note:
            body.append(_text(plot.right - 4, 36, note, anchor="end", fill=MUTED))
        desc = f"{len(months)} months from {labels[0]} to {labels[-1]}; no break-even. {note}"
    body += _legend(legend)
    desc += " Confirmed: " + ", ".join(
        f"{lab} {m.confirmed}" for lab, m in zip(labels, months, strict=True)
    )
    return _svg(chart_id, title, desc.strip() + ".", body)


# --- (d) Helper choice share against price ratio ------------------------------------------------


def choice_probability(model, ratio: float, *, free_install: bool = False) -> float:
    """P(choose helper) = 1 / (1 + exp(−(a + c_free·[free] + b·ln ratio)))."""
    z = model.a + (model.c_free if free_install else 0.0) + model.b * math.log(max(ratio, 1e-6))
    z = max(-60.0, min(60.0, z))
    return 1 / (1 + math.exp(-z))


def _free(point) -> bool:
    return bool(getattr(point, "professional_install_free", False))


def choice_chart(
    points: Sequence,
    *,
    model=None,
    free_install: bool = False,
    marks: Sequence[tuple[str, float]] = (),
    chart_id: str = "choice",
) -> SafeString:
    """Share of quotes where the customer chose the helper, against the price ratio helper ÷
    professional list price; one dot per quoted price pair, its area proportional to the number
    of quotes; the fitted logistic curve; optional vertical marks such as ("current", 0.27).
    Quotes where professional installation was free (a dot's ``professional_install_free``) get
    their own colour and their own curve (the model's intercept shift); ``free_install`` adds that
    curve even without such quotes. ``points``: rows with price_ratio, quotes, chose_helper;
    ``model``: a, b, c_free, n, source (or None)."""
    title = "Share of customers choosing the helper against the price ratio helper ÷ professional"
    points = [p for p in points if p.quotes > 0 and p.price_ratio is not None]
    if not points and model is None:
        return _empty(chart_id, title)
    kinds = sorted({_free(p) for p in points} | ({True} if free_install else set())) or [False]
    two_rows = len(kinds) > 1  # a legend entry per kind for the curves and for the dots
    plot = Plot(left=60, top=62 if two_rows else 44)
    xs = [p.price_ratio for p in points] + [r for _, r in marks if r is not None] + [1.0]
    xticks = nice_ticks(max(xs) * 1.05, count=6)
    x = _scale(0, xticks[-1], plot.left, plot.right)
    y = _scale(0, 1, plot.bottom, plot.top)
    body = _y_axis(
        plot,
        [0, 0.25, 0.5, 0.75, 1],
        y,
        label="Chose the helper",
        fmt=lambda t: f"{round(t * 100)} %",
    )
    body += _x_labels(
        plot,
        [_tick_text(t) for t in xticks],
        [x(t) for t in xticks],
        "Price ratio: helper price ÷ professional list price",
    )
    # kind → (colour, dash, legend suffix); one kind alone needs no suffix.
    style = {False: (BLUE, ORANGE, ""), True: (PURPLE, PURPLE, ' stroke-dasharray="7 4"')}
    suffix = {False: ", professional charged", True: ", free professional installation"}
    legend = []
    if model is not None:
        for kind in kinds:
            curve, _, dash = style[kind]
            coords = " ".join(
                f"{_n(x(r))},{_n(y(choice_probability(model, r, free_install=kind)))}"
                for r in (xticks[-1] * i / 80 for i in range(1, 81))
            )
            body.append(
                f'<polyline class="model-curve" points="{coords}" fill="none" '
                f'stroke="{curve}" stroke-width="2.5"{dash}/>'
            )
            swatch = f'<line x1="0" y1="6" x2="12" y2="6" stroke="{curve}" stroke-width="2.5"/>'
            short = "fitted" if model.source == "fitted" else "prior"
            label = f"Model: {model.source}, n = {model.n}"
            legend.append((swatch, f"Model ({short}){suffix[kind]}" if two_rows else label))
    if points:
        biggest = max(p.quotes for p in points)
        for p in sorted(points, key=lambda p: -p.quotes):  # small dots on top
            share = p.chose_helper / p.quotes
            r = 3 + 9 * math.sqrt(p.quotes / biggest)
            tip = (
                f"Ratio {p.price_ratio:.2f}{' (free installation)' if _free(p) else ''}: "
                f"{p.chose_helper} of {p.quotes} quotes chose the helper ({_pct(share)})"
            )
            body.append(
                f'<circle class="dot" cx="{_n(x(p.price_ratio))}" cy="{_n(y(share))}" '
                f'r="{_n(r)}" fill="{style[_free(p)][1]}" fill-opacity="0.75" stroke="{INK}" '
                f'stroke-width="0.8"><title>{_e(tip)}</title></circle>'
            )
        for kind in sorted({_free(p) for p in points}):
            dot = (
                f'<circle cx="6" cy="6" r="5" fill="{style[kind][1]}" stroke="{INK}" '
                'stroke-width="0.8"/>'
            )
            text = "Observed (size: quotes)"
            legend.append((dot, text if len(kinds) == 1 else "Observed" + suffix[kind]))
    else:
        body.append(
            _text(WIDTH / 2, plot.top + 20, "No quotes observed in this period", fill=MUTED)
        )
    marker = [(INK, ""), (VERMILION, ' stroke-dasharray="6 4"'), (GREEN, ' stroke-dasharray="2 3"')]
    for i, (label, ratio) in enumerate(m for m in marks if m[1] is not None):
        colour, dash = marker[i % len(marker)]
        xx = x(ratio)
        body.append(
            f'<line class="mark" x1="{_n(xx)}" y1="{_n(plot.top)}" x2="{_n(xx)}" '
            f'y2="{_n(plot.bottom)}" stroke="{colour}" stroke-width="2"{dash}/>'
        )
        body.append(
            _text(
                xx + 4,
                plot.bottom - 8 - 14 * i,
                f"{label} {ratio:.2f}",
                anchor="start",
                fill=colour,
                stroke="#fff",
                stroke_width=3,
                paint_order="stroke",
            )
        )
    if len(legend) > 2:  # two rows
        body += _legend(legend[:2], x=60, y=14) + _legend(legend[2:], x=60, y=32)
    else:
        body += _legend(legend, x=60)
    n_quotes = sum(p.quotes for p in points)
    chose = sum(p.chose_helper for p in points)
    desc = f"{len(points)} price ratios observed over {n_quotes} quotes; {chose} chose the helper."
    if model is not None:
        for kind in kinds:
            at = [_pct(choice_probability(model, r, free_install=kind)) for r in (0.5, 1.0)]
            what = "Logistic model" + (suffix[kind] if len(kinds) > 1 else "")
            desc += (
                f" {what}: {model.source}, n = {model.n}; {at[0]} choose the helper at ratio "
                f"0.5, {at[1]} at ratio 1."
            )
    for label, ratio in marks:
        if ratio is not None:
            desc += f" {label.capitalize()} ratio {ratio:.2f}."
    return _svg(chart_id, title, desc, body)
