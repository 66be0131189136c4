"""The share of customers choosing the helper against the price ratio, with the fitted curve."""

from __future__ import annotations

import math
from collections.abc import Sequence

from django.utils.safestring import SafeString
from django.utils.translation import gettext, ngettext

from marketplace.economics.charts.svg import (
    BLUE,
    GREEN,
    INK,
    MUTED,
    ORANGE,
    PURPLE,
    VERMILION,
    WIDTH,
    Plot,
    _e,
    _empty,
    _legend,
    _n,
    _pct,
    _scale,
    _svg,
    _text,
    _tick_text,
    _x_labels,
    _y_axis,
    nice_ticks,
)
from marketplace.economics.whatif import source_text


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
    title = gettext(
        "Share of customers choosing the helper against the price ratio helper ÷ professional"
    )
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
        label=gettext("Chose the helper"),
        fmt=lambda t: f"{round(t * 100)} %",
    )
    body += _x_labels(
        plot,
        [_tick_text(t) for t in xticks],
        [x(t) for t in xticks],
        gettext("Price ratio: helper price ÷ professional list price"),
    )
    # kind → (colour, dash, legend suffix); one kind alone needs no suffix.
    style = {False: (BLUE, ORANGE, ""), True: (PURPLE, PURPLE, ' stroke-dasharray="7 4"')}
    suffix = {
        False: ", " + gettext("professional charged"),
        True: ", " + gettext("free professional installation"),
    }
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
            short = gettext("fitted") if model.source == "fitted" else gettext("prior")
            if two_rows:
                label = gettext("Model (%(source)s)") % {"source": short} + suffix[kind]
            else:
                label = gettext("Model: %(source)s, n = %(n)s") % {
                    "source": source_text(model.source),
                    "n": model.n,
                }
            legend.append((swatch, label))
    if points:
        biggest = max(p.quotes for p in points)
        for p in sorted(points, key=lambda p: -p.quotes):  # small dots on top
            share = p.chose_helper / p.quotes
            r = 3 + 9 * math.sqrt(p.quotes / biggest)
            if _free(p):
                tip = gettext(
                    "Ratio %(ratio)s (free installation): %(chose)s of %(quotes)s quotes chose "
                    "the helper (%(share)s)"
                )
            else:
                tip = gettext(
                    "Ratio %(ratio)s: %(chose)s of %(quotes)s quotes chose the helper (%(share)s)"
                )
            tip %= {
                "ratio": f"{p.price_ratio:.2f}",
                "chose": p.chose_helper,
                "quotes": p.quotes,
                "share": _pct(share),
            }
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
            text = gettext("Observed (size: quotes)")
            legend.append((dot, text if len(kinds) == 1 else gettext("Observed") + suffix[kind]))
    else:
        body.append(
            _text(
                WIDTH / 2, plot.top + 20, gettext("No quotes observed in this period"), fill=MUTED
            )
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
    desc = ngettext(
        "%(count)s price ratio observed over %(quotes)s quotes; %(chose)s chose the helper.",
        "%(count)s price ratios observed over %(quotes)s quotes; %(chose)s chose the helper.",
        len(points),
    ) % {"count": len(points), "quotes": n_quotes, "chose": chose}
    if model is not None:
        for kind in kinds:
            at = [_pct(choice_probability(model, r, free_install=kind)) for r in (0.5, 1.0)]
            what = gettext("Logistic model") + (suffix[kind] if len(kinds) > 1 else "")
            desc += " " + gettext(
                "%(model)s: %(source)s, n = %(n)s; %(at_half)s choose the helper at ratio 0.5, "
                "%(at_one)s at ratio 1."
            ) % {
                "model": what,
                "source": source_text(model.source),
                "n": model.n,
                "at_half": at[0],
                "at_one": at[1],
            }
    for label, ratio in marks:
        if ratio is not None:
            desc += " " + gettext("%(label)s ratio %(ratio)s.") % {
                "label": label.capitalize(),
                "ratio": f"{ratio:.2f}",
            }
    return _svg(chart_id, title, desc, body)
