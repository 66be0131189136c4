"""CSV exports of the economics tables (DESIGN §1: operators export CSV). Each function takes a
scope and returns ``(filename, csv text)``; the web layer serves them as attachments.

Money columns are integer minor units of the scope's currency (named in the file); rates are
decimals 0..1 (not percentages); an empty cell means "undefined" (a zero denominator).
"""

from __future__ import annotations

import csv
import dataclasses
import io
from datetime import timedelta

from marketplace.economics import metrics as m


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, tuple):
        return ":".join(str(v) for v in value)
    return str(value)


def _csv(header: list[str], rows: list[list]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([_text(v) for v in row] for row in rows)
    return out.getvalue()


def _filename(scope: m.Scope, table: str) -> str:
    first = scope.start.astimezone(scope.tz).date()
    last = (scope.end.astimezone(scope.tz) - timedelta(microseconds=1)).date()
    parts = ["economics", scope.market.code, table]
    if scope.category is not None:
        parts.append(scope.category.slug)
    if scope.cell is not None:
        parts.append(f"cell{scope.cell[0]}_{scope.cell[1]}")
    return "-".join([*parts, first.isoformat(), last.isoformat()]) + ".csv"


def _table(scope: m.Scope, table: str, row_type: type, rows: list) -> tuple[str, str]:
    fields = [f.name for f in dataclasses.fields(row_type)]
    return _filename(scope, table), _csv(
        fields, [[getattr(r, name) for name in fields] for r in rows]
    )


def metrics_csv(scope: m.Scope) -> tuple[str, str]:
    """Every figure as one ``figure,value`` row, after the scope's own rows."""
    first = scope.start.astimezone(scope.tz).date()
    last = (scope.end.astimezone(scope.tz) - timedelta(microseconds=1)).date()
    figures = m.metrics(scope)
    rows = [
        ["market", scope.market.code],
        ["category", scope.category.slug if scope.category else "all"],
        ["cell", scope.cell or "all"],
        ["first_day", first.isoformat()],
        ["last_day", last.isoformat()],
        ["fill_within_minutes", int(scope.fill_within.total_seconds() // 60)],
        *([f.name, getattr(figures, f.name)] for f in dataclasses.fields(figures)),
    ]
    return _filename(scope, "metrics"), _csv(["figure", "value"], rows)


def weekly_csv(scope: m.Scope) -> tuple[str, str]:
    return _table(scope, "weekly", m.WeekRow, m.weekly(scope))


def monthly_csv(scope: m.Scope) -> tuple[str, str]:
    return _table(scope, "monthly", m.MonthRow, m.monthly(scope))


def areas_csv(scope: m.Scope) -> tuple[str, str]:
    return _table(scope, "areas", m.AreaRow, m.by_area(scope))


def choice_csv(scope: m.Scope) -> tuple[str, str]:
    return _table(scope, "choice", m.ChoicePoint, m.choice_points(scope))


EXPORTS = {
    "metrics": metrics_csv,
    "weekly": weekly_csv,
    "monthly": monthly_csv,
    "areas": areas_csv,
    "choice": choice_csv,
}
