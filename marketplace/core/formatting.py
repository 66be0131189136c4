"""Short figures for people: shares and durations, as the operator pages show them."""


def percent_text(value: float | None) -> str:
    """0.834 → "83 %"; None (no data) → "—"."""
    return "—" if value is None else f"{round(value * 100)} %"


def duration_text(seconds: int | None) -> str:
    """Whole minutes below an hour ("12 min"), then hours and minutes ("1 h 05 min")."""
    if seconds is None:
        return "—"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if minutes else f"{hours} h"
