"""Jobs' pages, in the role areas the project's URLconf mounts (customer:*, helper:*,
operator:*), plus the public helper profile. Paths are relative to /customer/, /helper/ and
/operator/."""

from django.urls import path

from marketplace.jobs.views import customer, helper, live, operator, public

customer_patterns = [
    path("request/", customer.request_help, name="request"),
    path("jobs/", customer.my_jobs, name="jobs"),
    path("jobs/<int:job_id>/", customer.job_detail, name="job"),
    path("jobs/<int:job_id>/status/", live.customer_job_status, name="job_status"),
    path("jobs/<int:job_id>/confirm/", customer.confirm, name="confirm"),
    path("jobs/<int:job_id>/cancel/", customer.cancel, name="cancel"),
    path("jobs/<int:job_id>/review/", customer.review, name="review"),
    path("jobs/<int:job_id>/dispute/", customer.dispute_open, name="dispute"),
    path(
        "jobs/<int:job_id>/professional/",
        customer.book_professional,
        name="book_professional",
    ),
]

helper_patterns = [
    path("offers/", helper.offers, name="offers"),
    path("offers/<int:offer_id>/decline/", helper.decline, name="decline"),
    path("nearby/", helper.nearby, name="nearby"),
    path("jobs/", helper.my_jobs, name="jobs"),
    path("jobs/<int:job_id>/", helper.job_detail, name="job"),
    path("jobs/<int:job_id>/status/", live.helper_job_status, name="job_status"),
    path("jobs/<int:job_id>/accept/", helper.accept, name="accept"),
    path("jobs/<int:job_id>/on-the-way/", helper.on_the_way, name="on_the_way"),
    path("jobs/<int:job_id>/check-in/", helper.check_in, name="check_in"),
    path("jobs/<int:job_id>/complete/", helper.complete, name="complete"),
    path("jobs/<int:job_id>/release/", helper.release, name="release"),
    path("jobs/<int:job_id>/review/", helper.review, name="review"),
]

operator_patterns = [
    path("jobs/", operator.jobs, name="jobs"),
    path("jobs/<int:job_id>/", operator.job_detail, name="job"),
    path("jobs/<int:job_id>/cancel/", operator.job_cancel, name="cancel"),
    path(
        "jobs/<int:job_id>/resolve-dispute/",
        operator.dispute_resolve,
        name="resolve_dispute",
    ),
]

public_patterns = [
    path("helpers/<int:profile_id>/", public.helper_profile, name="helper_public"),
]
