"""The SVG chart renderers (DESIGN §7): well-formed XML with a title and description for screen
readers, the expected marks for the data, escaped text, and a "no data" chart for empty input."""

import math
import xml.etree.ElementTree as ET
from collections import namedtuple
from datetime import date, timedelta

import pytest

from marketplace.economics import charts

SVG = "{http://www.w3.org/2000/svg}"
Week = namedtuple("Week", "week_start posted accepted confirmed fill_rate")
Month = namedtuple("Month", "month confirmed net_revenue break_even_jobs")
Area = namedtuple("Area", "cell lat lng posted active_helpers demand_supply_ratio")
Point = namedtuple("Point", "price_ratio quotes chose_helper")
Model = namedtuple("Model", "a b c_free n source")

MODEL = Model(a=1.0, b=-2.0, c_free=-1.5, n=40, source="fitted")


def parse(svg) -> ET.Element:
    root = ET.fromstring(str(svg))
    assert root.tag == SVG + "svg"
    assert root.get("role") == "img"
    chart_id = root.get("id")
    assert root.get("aria-labelledby") == f"{chart_id}-title {chart_id}-desc"
    assert root.find(SVG + "title").text
    assert root.find(SVG + "desc").text
    return root


def having_class(root, cls: str) -> list[ET.Element]:
    return [el for el in root.iter() if cls in (el.get("class") or "").split()]


def texts(root) -> list[str]:
    return ["".join(el.itertext()) for el in root.iter(SVG + "text")]


def weeks(n: int) -> list[Week]:
    start = date(2025, 3, 3)
    return [Week(start + timedelta(weeks=i), 10 + i, 6, 4, 0.5 if i else None) for i in range(n)]


def test_it_draws_three_bars_per_week_and_a_fill_rate_point_per_known_week():
    root = parse(charts.funnel_chart(weeks(5), fill_within="1 h"))
    assert len(having_class(root, "bar")) == 15
    assert len(having_class(root, "bar-posted")) == 5
    assert len(having_class(root, "point")) == 4  # the first week has no fill rate
    assert "Fill rate within 1 h" in texts(root)
    assert "Requests per week" in texts(root)
    assert "100 %" in texts(root)  # the right axis
    assert "3 Mar" in texts(root)
    assert "60 requests posted" in root.find(SVG + "desc").text


def test_bar_heights_follow_the_values():
    root = parse(charts.funnel_chart(weeks(1)))
    heights = {el.get("class"): float(el.get("height")) for el in having_class(root, "bar")}
    assert heights["bar bar-posted"] > heights["bar bar-accepted"] > heights["bar bar-confirmed"]
    assert heights["bar bar-accepted"] == pytest.approx(heights["bar bar-confirmed"] * 6 / 4, 0.02)


@pytest.mark.parametrize(
    "render",
    [
        lambda: charts.funnel_chart([]),
        lambda: charts.area_map([]),
        lambda: charts.break_even_chart([], break_even=10),
        lambda: charts.choice_chart([]),
    ],
    ids=["funnel", "map", "break-even", "choice"],
)
def test_empty_data_gives_a_no_data_chart(render):
    root = parse(render())
    assert charts.NO_DATA in texts(root)
    assert charts.NO_DATA in root.find(SVG + "desc").text
    assert not having_class(root, "bar") and not having_class(root, "cell")


def test_break_even_is_a_dashed_line_over_the_monthly_bars():
    months = [Month(date(2025, m, 1), c, 0, 12) for m, c in ((1, 8), (2, 14), (3, 20))]
    root = parse(charts.break_even_chart(months, break_even=12))
    assert len(having_class(root, "bar")) == 3
    (line,) = having_class(root, "break-even")
    assert line.get("stroke-dasharray")
    assert "Break-even: 12 jobs a month" in texts(root)
    assert "2 of 3 months at or above it" in root.find(SVG + "desc").text
    # The line sits between the 8-job bar top and the 14-job bar top.
    tops = [float(b.get("y")) for b in having_class(root, "bar")]
    assert tops[1] < float(line.get("y1")) < tops[0]


def test_without_break_even_there_is_no_line_and_the_chart_says_so():
    months = [Month(date(2025, 1, 1), 3, 0, None)]
    note = "No break-even: the margin per job is ≤ 0"
    root = parse(charts.break_even_chart(months, break_even=None, note=note))
    assert not having_class(root, "break-even")
    assert "no break-even" in texts(root)
    assert note in texts(root)


def test_the_map_draws_one_square_per_area_with_a_legend_and_places():
    areas = [
        Area((1040, 131), 46.95, 7.45, 10, 2, 5.0),
        Area((1052, 130), 47.37, 8.54, 3, 6, 0.5),
        Area((1053, 131), 47.42, 8.60, 4, 0, None),
    ]
    places = [("Bern", 46.948, 7.447), ("Zürich", 47.367, 8.55), ("Far away", 10.0, 10.0)]
    svg = charts.area_map(
        areas, cell_deg=(0.045, 0.066), places=places, bbox=(45.8, 47.8, 5.9, 10.5), cell_km=5
    )
    root = parse(svg)
    cells = having_class(root, "cell")
    assert len(cells) == 3
    fills = [c.get("fill") for c in cells]
    assert "#440154" in fills  # 5 requests per helper: the darkest step
    assert "url(#area-map-hatch)" in fills  # no helpers: hatched
    assert root.find(f".//{SVG}pattern").get("id") == "area-map-hatch"
    labels = texts(root)
    assert "Bern" in labels and "Zürich" in labels and "Far away" not in labels
    assert {"under 0.5", "4 or more", "no helpers", "Latitude", "Longitude"} <= set(labels)
    assert any(t.endswith("°N") for t in labels) and any(t.endswith("°E") for t in labels)
    assert "3 5 km areas" in root.find(SVG + "desc").text


def test_the_map_squares_are_square_on_the_ground():
    areas = [Area((0, 0), 47.0, 8.0, 1, 1, 1.0)]
    grid_km = 5
    dlat = grid_km / 111.195
    dlng = dlat / math.cos(math.radians(47.0))
    root = parse(charts.area_map(areas, cell_deg=(dlat, dlng), bbox=(46.0, 48.0, 6.0, 10.0)))
    (cell,) = having_class(root, "cell")
    assert float(cell.get("width")) == pytest.approx(float(cell.get("height")), rel=0.05)


@pytest.mark.parametrize(
    ("ratio", "helpers", "label"),
    [(0.2, 5, "under 0.5"), (0.5, 2, "0.5 to 1"), (1.5, 2, "1 to 2"), (9.0, 1, "4 or more")],
)
def test_ratio_buckets(ratio, helpers, label):
    assert charts.ratio_bucket(int(ratio * helpers), helpers, ratio)[0] == label


def test_the_choice_chart_sizes_dots_by_quotes_and_draws_the_curve_and_marks():
    points = [Point(0.27, 40, 36), Point(0.5, 10, 6), Point(1.1, 4, 1), Point(0.9, 0, 0)]
    marks = [("current", 0.27), ("what-if", 0.4)]
    root = parse(charts.choice_chart(points, model=MODEL, marks=marks))
    dots = having_class(root, "dot")
    assert len(dots) == 3  # a price pair without quotes is not a point
    radii = sorted(float(d.get("r")) for d in dots)
    assert radii[0] < radii[1] < radii[2]
    assert len(having_class(root, "model-curve")) == 1
    assert len(having_class(root, "mark")) == 2
    assert {"current 0.27", "what-if 0.40"} <= set(texts(root))
    assert "Model: fitted, n = 40" in texts(root)


def test_the_curve_follows_the_logistic_model():
    assert charts.choice_probability(MODEL, 1.0) == pytest.approx(1 / (1 + math.exp(-1.0)))
    assert charts.choice_probability(MODEL, 0.5) > charts.choice_probability(MODEL, 1.0)
    free = charts.choice_probability(MODEL, 1.0, free_install=True)
    assert free == pytest.approx(1 / (1 + math.exp(0.5)))
    assert 0 < charts.choice_probability(MODEL, 0.0) <= 1  # no log(0)


def test_a_prior_model_without_observations_still_draws_the_curve():
    prior = Model(a=0.5, b=-1.5, c_free=-1.0, n=0, source="prior (fewer than 30 observations)")
    root = parse(charts.choice_chart([], model=prior))
    assert len(having_class(root, "model-curve")) == 1
    assert "No quotes observed in this period" in texts(root)


def test_all_text_is_escaped():
    evil = '<script>alert("x")</script> & Co'
    areas = [Area((0, 0), 47.0, 8.0, 1, 1, 1.0)]
    svgs = [
        charts.area_map(areas, places=[(evil, 47.0, 8.0)], bbox=(46.0, 48.0, 7.0, 9.0)),
        charts.funnel_chart(weeks(2), fill_within=evil),
        charts.break_even_chart([Month(date(2025, 1, 1), 1, 0, None)], break_even=None, note=evil),
        charts.choice_chart([Point(0.5, 2, 1)], model=MODEL, marks=[(evil, 0.5)]),
    ]
    for svg in svgs:
        assert "<script>" not in svg
        root = parse(svg)  # & and quotes escaped too, or this would not parse
        assert any(evil in t for t in texts(root)) or evil in ET.tostring(root, "unicode")


def test_a_chart_id_must_be_a_plain_identifier():
    with pytest.raises(ValueError):
        charts.funnel_chart(weeks(1), chart_id='x" onload="alert(1)')


def test_nice_ticks():
    assert charts.nice_ticks(37, integer=True) == [0, 10, 20, 30, 40]
    assert charts.nice_ticks(3, integer=True) == [0, 1, 2, 3]
    assert charts.nice_ticks(0) == [0, 0.2, 0.4, 0.6, 0.8, 1.0]
    assert charts.nice_ticks(1.26, count=6) == [0, 0.5, 1.0, 1.5]


def test_partial_months_are_hatched_and_starred_and_every_bar_has_its_count():
    months = [Month(date(2025, m, 1), c, 0, None) for m, c in ((1, 3), (2, 0), (3, 5))]
    root = parse(
        charts.break_even_chart(
            months, break_even=4, partial={date(2025, 1, 1), date(2025, 3, 1)}, chart_id="be"
        )
    )
    fills = [b.get("fill") for b in having_class(root, "bar")]
    assert fills == ["url(#be-partial)", "#009E73", "url(#be-partial)"]
    assert {"Jan*", "Feb", "Mar*", "* part of a month"} <= set(texts(root))
    assert [el.text for el in having_class(root, "value")] == ["3", "0", "5"]


def test_free_installation_quotes_get_their_own_dots_and_curve():
    FreePoint = namedtuple("FreePoint", "price_ratio quotes chose_helper professional_install_free")
    points = [FreePoint(0.4, 20, 18, False), FreePoint(0.4, 20, 4, True)]
    root = parse(charts.choice_chart(points, model=MODEL))
    curves = having_class(root, "model-curve")
    assert len(curves) == 2 and curves[1].get("stroke-dasharray")
    assert len({d.get("fill") for d in having_class(root, "dot")}) == 2
    labels = texts(root)
    assert "Model (fitted), free professional installation" in labels
    assert "Observed, free professional installation" in labels
    # The free-installation curve lies below: the intercept shift is negative.
    assert "free professional installation: fitted" in root.find(SVG + "desc").text


def test_week_labels_thin_out_when_they_would_collide():
    root = parse(charts.funnel_chart(weeks(26)))
    shown = [t for t in texts(root) if t.endswith(("Mar", "Apr", "May", "Jun", "Jul", "Aug"))]
    assert 6 <= len(shown) <= 13
