"""{% job_thread job as thread %}: the job's thread for the person viewing the page (None when
they have no access), marked read as it is shown. Used by templates/partials/messages_thread.html
so the job pages need only one {% include %} line."""

from django import template
from django.urls import NoReverseMatch, reverse

from marketplace.core.errors import InvalidTransition, NotFound
from marketplace.messaging import services
from marketplace.messaging.selectors import Thread

register = template.Library()


@register.simple_tag(takes_context=True)
def job_thread(context, job):
    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return None
    try:
        thread = services.thread_open(job=job, user=request.user)
    except NotFound:
        return None
    except InvalidTransition as exc:  # the customer, before a helper has accepted
        return Thread(job=job, role="customer", refusal=exc.message)
    namespace = request.resolver_match.namespace if request.resolver_match else ""
    try:
        thread.post_url = reverse(f"{namespace}:messages", args=[job.pk])
    except NoReverseMatch:
        thread.can_post = False
    return thread
