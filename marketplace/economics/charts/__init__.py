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

from marketplace.economics.charts.area_map import area_map, ratio_bucket
from marketplace.economics.charts.break_even import break_even_chart
from marketplace.economics.charts.choice import choice_chart, choice_probability
from marketplace.economics.charts.funnel import FUNNEL_SERIES, funnel_chart
from marketplace.economics.charts.svg import NO_DATA, NO_HELPERS, RATIO_BUCKETS, nice_ticks

__all__ = [
    "FUNNEL_SERIES",
    "NO_DATA",
    "NO_HELPERS",
    "RATIO_BUCKETS",
    "area_map",
    "break_even_chart",
    "choice_chart",
    "choice_probability",
    "funnel_chart",
    "nice_ticks",
    "ratio_bucket",
]
