"""The shell's pages: home, the price preview, sign-up, log-in and log-out. Their names are
global ("home", "login", ...: settings refer to them)."""

from django.urls import path

from marketplace.web import views, views_auth

urlpatterns = [
    path("", views.home, name="home"),
    path("quote/", views.quote, name="quote"),
    path("signup/", views_auth.signup, name="signup"),
    path("login/", views_auth.login_view, name="login"),
    path("logout/", views_auth.logout_view, name="logout"),
]
