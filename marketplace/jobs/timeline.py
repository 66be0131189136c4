"""Human wording for a job's audit trail (JobEvent rows from selectors.job_timeline)."""

from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext_lazy as _

EVENT_LABELS = {
    "posted": _("Request posted"),
    "offered": _("Offered to helpers nearby"),
    "offer_declined": _("A helper declined"),
    "accepted": _("Helper assigned"),
    "released": _("The helper gave the job back; looking for someone else"),
    "checked_in": _("Helper arrived"),
    "completed": _("Work done"),
    "confirmed": _("Confirmed by the customer"),
    "auto_confirmed": _("Confirmed automatically"),
    "cancelled": _("Cancelled"),
    "expired": _("No helper found in time"),
    "reviewed": _("Review left"),
    "on_the_way": _("Helper on the way"),
    "dispute_opened": _("Problem reported; an operator is looking into it"),
    "dispute_resolved": _("Problem resolved by an operator"),
    "professional_booked": _("Professional visit booked"),
}
# Events that name who did them; the others are shown without a name (dispatch, declines).
NAMED_KINDS = {"accepted", "checked_in", "completed", "confirmed", "cancelled", "released"}


@dataclass(frozen=True)
class TimelineEntry:
    label: str
    at: datetime
    by: str


def timeline_entries(events) -> list[TimelineEntry]:
    return [
        TimelineEntry(
            label=str(EVENT_LABELS.get(e.kind, e.kind.replace("_", " ").capitalize())),
            at=e.created_at,
            by=e.actor.display_name if (e.actor and e.kind in NAMED_KINDS) else "",
        )
        for e in events
    ]
