import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse

from marketplace.accounts.models import Role, User

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"


def signup_data(**overrides):
    data = {
        "email": "new@example.com",
        "password": "a-long-enough-Passphrase-9",
        "full_name": "Nina New",
        "phone": "+41 79 555",
        "role": Role.CUSTOMER,
    }
    data.update(overrides)
    return data


def test_signup_creates_customer_logs_in_and_opens_the_request_form(client, reference):
    resp = client.post(reverse("signup"), signup_data())
    assert resp.status_code == 302
    assert resp.headers["Location"] == reverse("customer:request")
    user = User.objects.get(email="new@example.com")
    assert user.role == Role.CUSTOMER
    assert user.full_name == "Nina New"
    assert user.phone == "+41 79 555"
    assert client.session[SESSION_KEY] == str(user.pk)


def test_signup_as_helper_continues_to_the_application(client, reference):
    resp = client.post(reverse("signup"), signup_data(role=Role.HELPER))
    assert resp.headers["Location"] == reverse("helper:apply")
    assert User.objects.get(email="new@example.com").role == Role.HELPER


def test_signup_with_taken_email_shows_the_error_on_the_field(client, alice):
    resp = client.post(reverse("signup"), signup_data(email="ALICE@example.com"))
    assert resp.status_code == 200
    assert "already exists" in resp.context["form"].errors["email"][0]
    assert User.objects.filter(email="alice@example.com").count() == 1


def test_signup_with_weak_password_shows_an_error(client, reference):
    resp = client.post(reverse("signup"), signup_data(password="12345678"))
    assert resp.status_code == 200
    assert resp.context["form"].non_field_errors()
    assert not User.objects.filter(email="new@example.com").exists()


def test_signup_cannot_create_an_operator(client, reference):
    resp = client.post(reverse("signup"), signup_data(role=Role.OPERATOR))
    assert resp.status_code == 200
    assert "role" in resp.context["form"].errors
    assert not User.objects.filter(email="new@example.com").exists()


def test_signup_redirects_logged_in_users_home(client, alice):
    client.force_login(alice)
    assert client.get(reverse("signup")).headers["Location"] == reverse("home")


def test_login_with_email_rotates_the_session(client, alice):
    client.get(reverse("login"))
    session = client.session
    session["marker"] = "before-login"
    session.save()
    before = session.session_key
    resp = client.post(reverse("login"), {"username": "alice@example.com", "password": PASSWORD})
    assert resp.status_code == 302
    assert resp.headers["Location"] == reverse("home")
    assert client.session.session_key != before
    assert client.session[SESSION_KEY] == str(alice.pk)


def test_login_with_wrong_password_shows_an_error(client, alice):
    resp = client.post(reverse("login"), {"username": "alice@example.com", "password": "nope"})
    assert resp.status_code == 200
    assert resp.context["form"].non_field_errors()
    assert SESSION_KEY not in client.session


def test_logout_is_a_post_and_ends_the_session(client, alice):
    client.force_login(alice)
    assert client.get(reverse("logout")).status_code == 405
    resp = client.post(reverse("logout"))
    assert resp.headers["Location"] == reverse("home")
    assert SESSION_KEY not in client.session


def test_forms_carry_a_csrf_token_and_posts_without_it_are_refused(alice):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(alice)
    page = browser.get(reverse("customer:request"))
    assert b"csrfmiddlewaretoken" in page.content
    resp = browser.post(reverse("customer:request"), {"description": "x"})
    assert resp.status_code == 403


def test_footer_credits_geonames(client, reference):
    resp = client.get(reverse("home"))
    assert resp.status_code == 200
    assert "GeoNames" in resp.text
    assert "CC BY 4.0" in resp.text


def test_anonymous_navigation_offers_login_and_signup(client, reference):
    resp = client.get(reverse("home"))
    assert reverse("login") in resp.text
    assert reverse("signup") in resp.text
    assert reverse("customer:request") not in resp.text


@pytest.mark.parametrize(
    ("who", "expected", "absent"),
    [
        ("alice", "customer:request", "operator:vetting"),
        ("bob", "helper:offers", "customer:request"),
        ("dave", "helper:nearby", "operator:vetting"),
        ("olga", "operator:vetting", "helper:offers"),
    ],
)
def test_navigation_depends_on_role(client, request, who, expected, absent):
    client.force_login(request.getfixturevalue(who))
    resp = client.get(reverse("home"))
    assert reverse(expected) in resp.text
    assert reverse(absent) not in resp.text
    assert reverse("login") not in resp.text
