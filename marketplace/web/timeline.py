"""Human wording for a job's audit trail (JobEvent rows from selectors.job_timeline)."""

from dataclasses import dataclass
from datetime import datetime

EVENT_LABELS = {
    "posted": "Request posted",
    "offered": "Offered to helpers nearby",
    "offer_declined": "A helper declined",
    "accepted": "Helper assigned",
    "released": "The helper gave the job back; looking for someone else",
    "checked_in": "Helper arrived",
    "completed": "Work done",
    "confirmed": "Confirmed by the customer",
    "auto_confirmed": "Confirmed automatically",
    "cancelled": "Cancelled",
    "expired": "No helper found in time",
    "reviewed": "Review left",
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
            label=EVENT_LABELS.get(e.kind, e.kind.replace("_", " ").capitalize()),
            at=e.created_at,
            by=e.actor.display_name if (e.actor and e.kind in NAMED_KINDS) else "",
        )
        for e in events
    ]
