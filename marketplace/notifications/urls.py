"""/notifications/…: the list, opening one, mark all read, e-mail preferences."""

from django.urls import path

from marketplace.notifications import views as views

app_name = "notifications"

urlpatterns = [
    path("", views.notification_list, name="list"),
    path("<int:notification_id>/open/", views.notification_open, name="open"),
    path("read-all/", views.notifications_read_all, name="read_all"),
    path("preferences/", views.notification_preferences, name="preferences"),
]
