"""Role-aware job status words for templates (marketplace.jobs.labels).

`{% status_label job user %}` prints the status of `job` as `user` should read it;
`{% status_label job user as label %}` stores it instead (for a sentence around it)."""

from django import template

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
