"""A helper's earnings, month by month in their market's calendar, from the ledger.

Figures come from `payments.selectors.helper_earnings_by_month` (database aggregation); this
view only formats them, on screen or as CSV (`?format=csv`, amounts in minor units).
"""

import csv

from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from marketplace.helpers.access import helper_profile_required
from marketplace.payments import selectors

FIGURES = (
    "jobs_confirmed",
    "gross",
    "platform_fees",
    "earned",
    "clawed_back",
    "net",
    "paid_out",
    "pending",
)


def earnings_for(profile) -> dict:
    time_zone = profile.market.time_zone
    return {
        "time_zone": time_zone,
        "months": selectors.helper_earnings_by_month(helper=profile.user, time_zone=time_zone),
        "totals": selectors.helper_earnings_totals(helper=profile.user),
    }


@helper_profile_required
def earnings(request, profile):
    data = earnings_for(profile)
    if request.GET.get("format") == "csv":
        return _csv(data)
    return render(request, "helper/earnings.html", {"profile": profile, **data})


def _csv(data: dict) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="earnings.csv"'
    writer = csv.writer(response)
    writer.writerow(["month", "currency", *FIGURES])
    for row in data["months"]:
        writer.writerow(
            [row["month"].strftime("%Y-%m"), row["currency"], *(row[f] for f in FIGURES)]
        )
    for row in data["totals"]:
        writer.writerow([_("total"), row["currency"], *(row[f] for f in FIGURES)])
    return response
