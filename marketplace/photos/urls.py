"""Uploading a job's photos (customer and helper), and serving one to the job's people."""

from django.urls import path

from marketplace.photos import views

customer_patterns = [path("jobs/<int:job_id>/photos/", views.customer_upload, name="photos")]
helper_patterns = [path("jobs/<int:job_id>/photos/", views.helper_upload, name="photos")]
public_patterns = [path("photos/<int:photo_id>/", views.serve, name="job_photo")]
