"""Notification list helpers: `{{ n.created_at|when:n.time_zone }}` writes a moment as every page
does ("Thu 3 Dec, 10:13", marketplace.core.formatting.DATETIME_FORMAT) on that clock."""

from django import template

from marketplace.core.formatting import datetime_text

register = template.Library()


@register.filter
def when(value, time_zone="") -> str:
    if not value:
        return ""
    return datetime_text(value, time_zone or None)
