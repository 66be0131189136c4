"""Role-aware job status words for templates (marketplace.jobs.labels), and language names.

`{% status_label job user %}` prints the status of `job` as `user` should read it;
`{% status_label job user as label %}` stores it instead (for a sentence around it)."""

from django import template
from django.utils.translation import get_language_info

from marketplace.jobs.labels import status_label as _status_label

register = template.Library()


@register.simple_tag
def status_label(job, viewer=None) -> str:
    """The job's status in the viewer's words (the customer's when no viewer is known)."""
    if job is None or job == "":
        return ""
    if viewer is not None and not getattr(viewer, "is_authenticated", True):
        viewer = None
    return str(_status_label(job, viewer=viewer))


@register.filter
def language_names(codes: str) -> str:
    """ "pl,en" → "Polish, English" in the page language (unknown codes are shown as they are)."""
    names = []
    for code in (c.strip() for c in (codes or "").split(",")):
        if not code:
            continue
        try:
            names.append(str(get_language_info(code)["name_translated"]))
        except KeyError:
            names.append(code)
    return ", ".join(names) or "—"
