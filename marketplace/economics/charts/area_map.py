"""The demand/supply map: the period's areas over a plain graticule of the country."""

from __future__ import annotations

import math
from collections.abc import Sequence

from django.utils.safestring import SafeString
from django.utils.translation import gettext, ngettext

from marketplace.economics.charts.svg import (
    INK,
    MAP_HEIGHT,
    NO_HELPERS,
    RATIO_BUCKETS,
    VERMILION,
    WIDTH,
    Plot,
    _box,
    _e,
    _empty,
    _legend,
    _line,
    _n,
    _svg,
    _text,
)


def ratio_bucket(posted: int, helpers: int, ratio: float | None) -> tuple[str, str]:
    """(label, fill) of an area on the map's colour scale; the label is the English msgid (drawn
    through gettext)."""
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
    title = gettext("Demand and supply by area: requests per active helper")
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
    body.append(_text((px(west) + px(east)) / 2, py(south) + 34, gettext("Longitude")))
    cy = (py(north) + py(south)) / 2
    body.append(_text(14, cy, gettext("Latitude"), transform=f"rotate(-90 14 {_n(cy)})"))

    w, h = max(dlng * kx * scale, 3), max(dlat * scale, 3)
    counts: dict[str, int] = {}
    for a in sorted(areas, key=lambda a: tuple(a.cell)):
        label, fill = ratio_bucket(a.posted, a.active_helpers, a.demand_supply_ratio)
        counts[label] = counts.get(label, 0) + 1
        value = a.demand_supply_ratio
        if value is None and a.active_helpers:
            value = a.posted / a.active_helpers
        values = {
            "area": f"{a.cell[0]}:{a.cell[1]}",
            "requests": ngettext("%(count)s request", "%(count)s requests", a.posted)
            % {"count": a.posted},
        }
        if a.active_helpers:
            helpers = ngettext("%(count)s helper", "%(count)s helpers", a.active_helpers) % {
                "count": a.active_helpers
            }
            tip = gettext(
                "Area %(area)s: %(requests)s, %(helpers)s, %(ratio)s requests per helper"
            ) % {**values, "helpers": helpers, "ratio": f"{value:.1f}"}
        else:
            tip = gettext("Area %(area)s: %(requests)s, no helpers") % values
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
        [(_box(colour), gettext(label)) for _, label, colour in RATIO_BUCKETS]
        + [(hatch, gettext(NO_HELPERS))],
        y=MAP_HEIGHT - 10,
        x=64,
    )
    body.append(
        _text(
            64,
            MAP_HEIGHT - 34,
            gettext("Requests per active helper in the period:"),
            anchor="start",
        )
    )
    order = [label for _, label, _ in RATIO_BUCKETS] + [NO_HELPERS]
    if cell_km:
        desc = ngettext(
            "%(count)s %(km)s km area with requests or helpers.",
            "%(count)s %(km)s km areas with requests or helpers.",
            len(areas),
        ) % {"count": len(areas), "km": cell_km}
    else:
        desc = ngettext(
            "%(count)s area with requests or helpers.",
            "%(count)s areas with requests or helpers.",
            len(areas),
        ) % {"count": len(areas)}
    desc += " " + "; ".join(
        f"{counts[label]} {gettext(label)}" for label in order if label in counts
    )
    if places:
        desc += ". " + gettext("Places shown for orientation: %(places)s") % {
            "places": ", ".join(p[0] for p in places)
        }
    return _svg(chart_id, title, desc + ".", body, MAP_HEIGHT)
