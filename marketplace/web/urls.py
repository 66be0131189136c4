"""Web pages. Public and auth names are global ("home", "login", ...: settings refer to them);
role areas are namespaced: customer:*, helper:*, operator:*."""

from django.urls import include, path

from marketplace.messaging import views as messaging_views
from marketplace.photos import views as photos_views
from marketplace.web import (
    views,
    views_auth,
    views_customer,
    views_earnings,
    views_helper,
    views_live,
    views_operator,
    views_payments,
    views_public,
)

customer_patterns = [
    path("request/", views_customer.request_help, name="request"),
    path("jobs/", views_customer.my_jobs, name="jobs"),
    path("jobs/<int:job_id>/", views_customer.job_detail, name="job"),
    path("jobs/<int:job_id>/status/", views_live.customer_job_status, name="job_status"),
    path("jobs/<int:job_id>/confirm/", views_customer.confirm, name="confirm"),
    path("jobs/<int:job_id>/cancel/", views_customer.cancel, name="cancel"),
    path("jobs/<int:job_id>/review/", views_customer.review, name="review"),
    path("jobs/<int:job_id>/messages/", messaging_views.customer_post, name="messages"),
    path("jobs/<int:job_id>/photos/", photos_views.customer_upload, name="photos"),
    path("jobs/<int:job_id>/dispute/", views_customer.dispute_open, name="dispute"),
    path(
        "jobs/<int:job_id>/professional/",
        views_customer.book_professional,
        name="book_professional",
    ),
    path("jobs/<int:job_id>/pay/", views_payments.pay, name="pay"),
]

helper_patterns = [
    path("apply/", views_helper.apply, name="apply"),
    path("profile/", views_helper.profile_edit, name="profile"),
    path("profile/pause/", views_helper.toggle_pause, name="pause"),
    path("offers/", views_helper.offers, name="offers"),
    path("offers/<int:offer_id>/decline/", views_helper.decline, name="decline"),
    path("nearby/", views_helper.nearby, name="nearby"),
    path("jobs/", views_helper.my_jobs, name="jobs"),
    path("jobs/<int:job_id>/", views_helper.job_detail, name="job"),
    path("jobs/<int:job_id>/status/", views_live.helper_job_status, name="job_status"),
    path("jobs/<int:job_id>/accept/", views_helper.accept, name="accept"),
    path("jobs/<int:job_id>/on-the-way/", views_helper.on_the_way, name="on_the_way"),
    path("jobs/<int:job_id>/check-in/", views_helper.check_in, name="check_in"),
    path("jobs/<int:job_id>/complete/", views_helper.complete, name="complete"),
    path("jobs/<int:job_id>/release/", views_helper.release, name="release"),
    path("jobs/<int:job_id>/review/", views_helper.review, name="review"),
    path("jobs/<int:job_id>/messages/", messaging_views.helper_post, name="messages"),
    path("jobs/<int:job_id>/photos/", photos_views.helper_upload, name="photos"),
    path("payouts/", views_payments.payouts, name="payouts"),
    path("earnings/", views_earnings.earnings, name="earnings"),
]

operator_patterns = [
    path("vetting/", views_operator.vetting, name="vetting"),
    path("helpers/", views_operator.helpers, name="helpers"),
    path("helpers/<int:profile_id>/vet/", views_operator.vet, name="vet"),
    path("helpers/<int:profile_id>/reject/", views_operator.reject, name="reject"),
    path("helpers/<int:profile_id>/suspend/", views_operator.suspend, name="suspend"),
    path("jobs/", views_operator.jobs, name="jobs"),
    path("jobs/<int:job_id>/", views_operator.job_detail, name="job"),
    path("jobs/<int:job_id>/cancel/", views_operator.job_cancel, name="cancel"),
    path("jobs/<int:job_id>/refund/", views_payments.refund, name="refund"),
    path("jobs/<int:job_id>/messages/", messaging_views.operator_post, name="messages"),
    path(
        "jobs/<int:job_id>/resolve-dispute/",
        views_operator.dispute_resolve,
        name="resolve_dispute",
    ),
    path("invoices/", views_payments.invoices, name="invoices"),
    path("prices/", include("marketplace.web.urls_pricing")),
    path("markets/", include("marketplace.web.views_markets")),
    path("supply/", include("marketplace.web.urls_supply")),
    path("economics/", include("marketplace.web.urls_economics")),
    path("tasks/", include("marketplace.web.views_tasks")),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("quote/", views.quote, name="quote"),
    path("signup/", views_auth.signup, name="signup"),
    path("login/", views_auth.login_view, name="login"),
    path("logout/", views_auth.logout_view, name="logout"),
    path("photos/<int:photo_id>/", photos_views.serve, name="job_photo"),
    path("helpers/<int:profile_id>/", views_public.helper_profile, name="helper_public"),
    path("customer/", include((customer_patterns, "customer"))),
    path("helper/", include((helper_patterns, "helper"))),
    path("operator/", include((operator_patterns, "operator"))),
    path("notifications/", include("marketplace.web.urls_notifications")),
    path("account/privacy/", include("marketplace.web.views_privacy")),
]
