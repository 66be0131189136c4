from django.urls import path

from marketplace.accounts import views

urlpatterns = [
    path("", views.account_security, name="account_security"),
    path("logout-all/", views.logout_everywhere, name="logout_all"),
]
