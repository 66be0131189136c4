"""SVG building blocks shared by the economics charts: canvas, axes, legend, palette."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.utils.dateformat import format as date_format
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, gettext_noop

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
# Labels here are the English msgids (the tests and the code compare them); ``gettext`` them
# where they are drawn.
RATIO_BUCKETS = (
    (0.5, gettext_noop("under 0.5"), "#fde725"),
    (1.0, gettext_noop("0.5 to 1"), "#5ec962"),
    (2.0, gettext_noop("1 to 2"), "#21918c"),
    (4.0, gettext_noop("2 to 4"), "#3b528b"),
    (math.inf, gettext_noop("4 or more"), "#440154"),
)
NO_HELPERS = gettext_noop("no helpers")
NO_DATA = gettext_noop("No data for this period")
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
    message = gettext(message)
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
    """3 Mar, the month abbreviated in the active language."""
    return date_format(d, "j M")
