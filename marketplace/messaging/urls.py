"""Posting to a job's thread, from each role's job page."""

from django.urls import path

from marketplace.messaging import views

customer_patterns = [path("jobs/<int:job_id>/messages/", views.customer_post, name="messages")]
helper_patterns = [path("jobs/<int:job_id>/messages/", views.helper_post, name="messages")]
operator_patterns = [path("jobs/<int:job_id>/messages/", views.operator_post, name="messages")]
