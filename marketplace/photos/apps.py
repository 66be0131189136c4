from django.apps import AppConfig


class PhotosConfig(AppConfig):
    name = "marketplace.photos"
    label = "photos"
    verbose_name = "Job photos"
