"""Passwords and sessions (issue 7): weak passwords refused, login rotates the session key, plain
logout ends this session only, "log out everywhere" and suspension/deactivation end every session
and revoke every API token."""

import pytest
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client
from django.urls import reverse

from marketplace.accounts.models import ApiToken, User
from marketplace.accounts.services import api_token_create
from marketplace.accounts.sessions import user_end_all_sessions
from marketplace.helpers.models import HelperStatus
from marketplace.helpers.services import helper_suspend

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"
SESSION = settings.SESSION_COOKIE_NAME


def _logged_in(user) -> Client:
    client = Client()
    resp = client.post(reverse("login"), {"username": user.email, "password": PASSWORD})
    assert resp.status_code == 302, resp.content
    return client


def _is_logged_in(client) -> bool:
    return client.get(reverse("account")).status_code == 200


def _bearer(raw: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {raw}"})


# --- Passwords -----------------------------------------------------------------------------------


def test_password_validators_are_on():
    names = {v["NAME"].rsplit(".", 1)[-1] for v in settings.AUTH_PASSWORD_VALIDATORS}
    assert {
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    } <= names


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short1", "too short"),
        ("password123", "too common"),
        ("83920174659", "entirely numeric"),
        ("newbie.signup@example.com", "too similar"),
    ],
)
def test_a_weak_password_is_refused_on_web_signup_with_a_message(reference, password, message):
    resp = Client().post(
        reverse("signup"),
        {
            "email": "newbie.signup@example.com",
            "password": password,
            "full_name": "New Bie",
            "role": "customer",
        },
    )
    assert resp.status_code == 200
    assert message in resp.content.decode()
    assert not User.objects.filter(email="newbie.signup@example.com").exists()


@pytest.mark.parametrize(
    ("password", "message"),
    [("short1", "too short"), ("password123", "too common"), ("83920174659", "entirely numeric")],
)
def test_a_weak_password_is_refused_on_api_signup_with_a_message(reference, password, message):
    resp = Client().post(
        "/api/auth/signup",
        {"email": "newbie@example.com", "password": password},
        content_type="application/json",
    )
    assert resp.status_code == 422
    assert resp.json()["code"] == "invalid" and message in resp.json()["detail"]
    assert not User.objects.filter(email="newbie@example.com").exists()


def test_a_good_password_is_accepted(reference):
    resp = Client().post(
        "/api/auth/signup",
        {"email": "newbie@example.com", "password": "lantern-orbit-41-mosaic"},
        content_type="application/json",
    )
    assert resp.status_code == 201


# --- Login rotates the session key ---------------------------------------------------------------


def test_login_rotates_the_session_key(alice):
    client = Client()
    session = client.session  # an anonymous session, e.g. one an attacker planted
    session["probe"] = "before login"
    session.save()
    client.cookies[SESSION] = session.session_key
    before = session.session_key

    resp = client.post(reverse("login"), {"username": alice.email, "password": PASSWORD})
    assert resp.status_code == 302
    after = client.cookies[SESSION].value
    assert after and after != before
    assert not SessionStore().exists(before)  # the old key is gone, not just unused
    assert client.session["_auth_user_id"] == str(alice.pk)
    assert client.session.get("probe") == "before login"  # data carried over, key changed


def test_signup_logs_in_with_a_fresh_session_key(reference):
    client = Client()
    session = client.session
    session["probe"] = 1
    session.save()
    client.cookies[SESSION] = session.session_key
    before = session.session_key
    resp = client.post(
        reverse("signup"),
        {
            "email": "fresh@example.com",
            "password": "lantern-orbit-41-mosaic",
            "full_name": "Fresh Customer",
            "role": "customer",
        },
    )
    assert resp.status_code == 302
    assert client.cookies[SESSION].value != before


# --- The session hash ----------------------------------------------------------------------------


def test_sessions_made_before_the_generation_existed_stay_valid(alice):
    assert alice.session_generation == 0
    assert alice.get_session_auth_hash() == AbstractBaseUser.get_session_auth_hash(alice)


def test_the_generation_changes_the_session_hash(alice):
    before = alice.get_session_auth_hash()
    user_end_all_sessions(user=alice)
    assert alice.session_generation == 1
    assert alice.get_session_auth_hash() != before
    assert User.objects.get(pk=alice.pk).get_session_auth_hash() == alice.get_session_auth_hash()


# --- Plain logout --------------------------------------------------------------------------------


def test_plain_logout_ends_this_session_only(alice):
    laptop, phone = _logged_in(alice), _logged_in(alice)
    _token, raw = api_token_create(user=alice)
    assert laptop.post(reverse("logout")).status_code == 302
    assert not _is_logged_in(laptop)
    assert _is_logged_in(phone)
    assert _bearer(raw).get("/api/auth/me").status_code == 200


# --- Log out everywhere --------------------------------------------------------------------------


def test_the_security_page_offers_log_out_everywhere(alice):
    client = _logged_in(alice)
    api_token_create(user=alice)
    resp = client.get(reverse("account_security"))
    assert resp.status_code == 200
    html = resp.content.decode()
    assert "Log out everywhere" in html and reverse("logout_all") in html
    assert "1 active API token" in html
    assert reverse("account_security") in client.get(reverse("account")).content.decode()


def test_the_security_page_needs_a_login(reference):
    resp = Client().get(reverse("account_security"))
    assert resp.status_code == 302 and resp["Location"].startswith(reverse("login"))
    assert Client().post(reverse("logout_all")).status_code == 302


def test_log_out_everywhere_ends_every_session_and_revokes_tokens(alice, mallory):
    laptop, phone = _logged_in(alice), _logged_in(alice)
    other = _logged_in(mallory)
    _token, raw = api_token_create(user=alice)
    _token, mallory_raw = api_token_create(user=mallory)

    assert laptop.get(reverse("logout_all")).status_code == 405  # a POST, not a link
    resp = laptop.post(reverse("logout_all"))
    assert resp.status_code == 302 and resp["Location"] == reverse("login")

    assert not _is_logged_in(laptop)
    assert not _is_logged_in(phone)
    assert _bearer(raw).get("/api/auth/me").status_code == 401
    assert not ApiToken.objects.filter(user=alice, revoked_at__isnull=True).exists()
    # Nobody else is touched.
    assert _is_logged_in(other)
    assert _bearer(mallory_raw).get("/api/auth/me").status_code == 200
    # Logging in again works and gives a working session.
    assert _is_logged_in(_logged_in(alice))


def test_api_logout_all_with_a_token(alice):
    browser = _logged_in(alice)
    _t1, raw = api_token_create(user=alice)
    _t2, other_raw = api_token_create(user=alice, name="tablet")
    resp = _bearer(raw).post("/api/auth/logout-all")
    assert resp.status_code == 200 and resp.json() == {"revoked_tokens": 2}
    assert _bearer(raw).get("/api/auth/me").status_code == 401
    assert _bearer(other_raw).get("/api/auth/me").status_code == 401
    assert not _is_logged_in(browser)


def test_api_logout_all_with_a_session_needs_csrf_and_ends_it(alice):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(alice)
    assert browser.post("/api/auth/logout-all").status_code == 403  # no CSRF token
    assert _is_logged_in(browser)
    browser.get(reverse("account"))
    csrf = browser.cookies[settings.CSRF_COOKIE_NAME].value
    resp = browser.post("/api/auth/logout-all", headers={"X-CSRFToken": csrf})
    assert resp.status_code == 200
    assert not _is_logged_in(browser)


def test_api_logout_all_needs_a_login(reference):
    assert Client().post("/api/auth/logout-all").status_code == 401


# --- Suspension and deactivation -----------------------------------------------------------------


def test_suspending_a_helper_ends_their_sessions_and_revokes_their_tokens(bob, carol, olga):
    bob_browser = _logged_in(bob)
    carol_browser = _logged_in(carol)
    _token, raw = api_token_create(user=bob)
    helper_suspend(profile=bob.helper_profile, actor=olga, reason="Complaints")
    bob.helper_profile.refresh_from_db()
    assert bob.helper_profile.status == HelperStatus.SUSPENDED
    assert not _is_logged_in(bob_browser)
    assert _bearer(raw).get("/api/auth/me").status_code == 401
    assert _is_logged_in(carol_browser)
    # They may log in again (to read why): a suspended helper is not a deleted account.
    assert _is_logged_in(_logged_in(bob))


def test_suspending_through_the_api_ends_sessions_too(api_as, bob, olga):
    bob_browser = _logged_in(bob)
    resp = api_as(olga).post(
        f"/api/operator/helpers/{bob.helper_profile.pk}/suspend", {"reason": "No-shows"}
    )
    assert resp.status_code == 200
    assert not _is_logged_in(bob_browser)


def test_a_refused_suspension_ends_nothing(bob, carol):
    from marketplace.core.errors import NotAllowed

    bob_browser = _logged_in(bob)
    with pytest.raises(NotAllowed):
        helper_suspend(profile=bob.helper_profile, actor=carol, reason="Competition")
    assert _is_logged_in(bob_browser)


def test_an_operator_deactivates_a_customer(api_as, alice, olga):
    browser = _logged_in(alice)
    _token, raw = api_token_create(user=alice)
    resp = api_as(olga).post(f"/api/operator/users/{alice.pk}/deactivate", {"reason": "Fraud"})
    assert resp.status_code == 200 and resp.json() == {"id": alice.pk, "is_active": False}
    assert not _is_logged_in(browser)
    assert _bearer(raw).get("/api/auth/me").status_code == 401
    resp = Client().post(reverse("login"), {"username": alice.email, "password": PASSWORD})
    assert resp.status_code == 200  # can no longer log in


@pytest.mark.parametrize("who", ["mallory", "bob"])
def test_only_operators_deactivate_accounts(api_as, alice, mallory, bob, who):
    caller = {"mallory": mallory, "bob": bob}[who]
    resp = api_as(caller).post(f"/api/operator/users/{alice.pk}/deactivate", {"reason": "x"})
    assert resp.status_code == 403
    alice.refresh_from_db()
    assert alice.is_active


def test_operators_cannot_deactivate_operators_here(api_as, olga):
    from tests.factories import OperatorFactory

    other = OperatorFactory(email="otto@example.com")
    resp = api_as(olga).post(f"/api/operator/users/{other.pk}/deactivate", {"reason": "x"})
    assert resp.status_code == 403
    assert (
        api_as(olga).post("/api/operator/users/999999/deactivate", {"reason": "x"}).status_code
        == 404
    )
