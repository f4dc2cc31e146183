"""Logins and sessions: lockout on every password endpoint, two-factor, session rules.

Helper for tests of people who need a second factor (staff, consultants, members of an
organisation that requires it): ``verified_client(client, user)`` gives the user a
confirmed TOTP device and a session that proved it, so ``force_login``-based tests keep
working. ``totp_now(device)`` is the code the person's app shows now.
"""

from __future__ import annotations

import time

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import translation
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.roles import Role
from tenants import auth
from tenants.models import Membership, User, UserSession
from tests.conftest import PASSWORD, host_of, make_member, public_client, tenant_client

pytestmark = pytest.mark.django_db
LIMIT = settings.AXES_FAILURE_LIMIT


def totp_now(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return f"{totp.token():0{device.digits}d}"


def give_device(user: User) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="test", confirmed=True)


def verified_client(client: Client, user: User) -> Client:
    """Log ``user`` in with a proven second factor (for staff and consultants in tests)."""
    device = auth.confirmed_device(user) or give_device(user)
    client.force_login(user)
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    return client


@pytest.fixture(autouse=True)
def _fresh_lockouts():
    from axes.models import AccessAttempt
    from django.core.cache import cache

    AccessAttempt.objects.all().delete()
    cache.clear()
    yield


def _wrong(client, path, email, n, **extra):
    for _ in range(n):
        response = client.post(path, {"username": email, "password": "wrong-password"},
                               **extra)
    return response


# ---- lockout ----------------------------------------------------------------------------------

@pytest.mark.parametrize("host", ["tenant", "public"])
def test_login_locks_the_email_and_address_after_repeated_wrong_passwords(org_a, owner_a,
                                                                          host):
    client = tenant_client(org_a) if host == "tenant" else public_client()
    response = _wrong(client, "/accounts/login/", owner_a.email, LIMIT)
    assert response.status_code == 429
    assert "Too many failed attempts" in response.content.decode()
    # The right password no longer works from this address while locked.
    response = client.post("/accounts/login/", {"username": owner_a.email.upper(),
                                                "password": PASSWORD})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    # Another address is not locked out by someone guessing.
    other = Client(HTTP_HOST=client.defaults["HTTP_HOST"], REMOTE_ADDR="10.9.8.7")
    response = other.post("/accounts/login/", {"username": owner_a.email,
                                               "password": PASSWORD})
    assert response.status_code == 302


def test_lockout_page_reads_in_french(org_a, owner_a):
    client = tenant_client(org_a)
    response = _wrong(client, "/accounts/login/", owner_a.email, LIMIT,
                      HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 429
    with translation.override("fr"):
        expected = translation.gettext("Too many failed attempts for this e-mail address "
                                       "from your connection. For your security, try again "
                                       "in %(wait)s or reset your password.")
    assert expected.split("%")[0] in response.content.decode()
    assert expected.startswith("Trop") and "15\u00a0minutes" in response.content.decode()


def test_cool_off_doubles_with_each_lockout(org_a, owner_a, rf):
    request = rf.post("/accounts/login/", {"username": owner_a.email})
    request.axes_credentials = {"username": owner_a.email}
    assert auth.lockout_cool_off(request).total_seconds() == 15 * 60
    auth.record_lockout(request)
    assert auth.lockout_cool_off(request).total_seconds() == 15 * 60
    auth.record_lockout(request)
    assert auth.lockout_cool_off(request).total_seconds() == 30 * 60
    for _ in range(20):
        auth.record_lockout(request)
    assert auth.lockout_cool_off(request).total_seconds() == 24 * 3600


def test_admin_login_goes_through_the_locked_login(owner_a):
    client = public_client()
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    response = _wrong(client, "/accounts/login/", owner_a.email, LIMIT)
    assert response.status_code == 429


def test_api_token_answers_429_json_when_locked(owner_a):
    client = public_client()
    for _ in range(LIMIT):
        response = client.post("/api/v1/auth/token/", {"username": owner_a.email,
                                                       "password": "wrong-password"})
    assert response.status_code == 429
    assert response["Content-Type"] == "application/json"
    assert "Too many failed attempts" in response.json()["message"]
    assert int(response["Retry-After"]) > 0
    response = client.post("/api/v1/auth/token/", {"username": owner_a.email,
                                                   "password": PASSWORD})
    assert response.status_code == 429


def test_api_token_asks_the_code_of_people_with_a_second_factor(owner_a, consultant):
    client = public_client()
    assert client.post("/api/v1/auth/token/", {"username": owner_a.email,
                                               "password": PASSWORD}).status_code == 200
    device = give_device(owner_a)
    response = client.post("/api/v1/auth/token/", {"username": owner_a.email,
                                                   "password": PASSWORD})
    assert response.status_code == 403 and "otp" in response.json()["errors"]
    response = client.post("/api/v1/auth/token/", {"username": owner_a.email,
                                                   "password": PASSWORD,
                                                   "otp": totp_now(device)})
    assert response.status_code == 200 and response.json()["token"]
    # A consultant without a device gets no token until they set one up.
    response = client.post("/api/v1/auth/token/", {"username": consultant.email,
                                                   "password": PASSWORD})
    assert response.status_code == 403


def test_reauthentication_counts_toward_the_lockout(org_a, owner_a):
    client = tenant_client(org_a, owner_a)
    for _ in range(LIMIT):
        response = client.post("/accounts/confirm-password/", {"password": "wrong-password"})
    assert response.status_code == 429


# ---- sessions ----------------------------------------------------------------------------------

def test_login_gives_a_new_session_key(org_a, owner_a):
    client = tenant_client(org_a)
    client.get("/accounts/login/")
    client.session.save()
    before = client.session.session_key
    response = client.post("/accounts/login/", {"username": owner_a.email,
                                                "password": PASSWORD})
    assert response.status_code == 302
    assert client.session.session_key != before
    assert not Session.objects.filter(session_key=before).exists()
    assert UserSession.objects.filter(user=owner_a,
                                      session_key=client.session.session_key).exists()


def _age_session(client, **seconds_ago):
    session = client.session
    for key, ago in seconds_ago.items():
        session[key] = time.time() - ago
    session.save()


def test_idle_session_ends(org_a, owner_a):
    client = tenant_client(org_a, owner_a)
    assert client.get("/").status_code == 200
    _age_session(client, **{auth.LAST_SEEN_AT: settings.SESSION_IDLE_MINUTES * 60 + 5})
    response = client.get("/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert "_auth_user_id" not in client.session


def test_session_ends_after_its_absolute_lifetime_even_when_active(org_a, owner_a):
    client = tenant_client(org_a, owner_a)
    _age_session(client, **{auth.LOGGED_IN_AT: settings.SESSION_ABSOLUTE_HOURS * 3600 + 5,
                            auth.LAST_SEEN_AT: 1})
    response = client.get("/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_password_change_and_deactivation_end_every_session(org_a, manager_a):
    phone, laptop = tenant_client(org_a, manager_a), public_client(manager_a)
    assert phone.get("/").status_code == 200
    manager_a.set_password("another-horse-battery-77")
    manager_a.save()
    assert phone.get("/").status_code == 302
    assert not UserSession.objects.filter(user=manager_a).exists()
    assert not Session.objects.filter(session_key=laptop.session.session_key).exists()

    phone = tenant_client(org_a, manager_a)
    manager_a.is_active = False
    manager_a.save()
    assert phone.get("/").status_code == 302
    assert not UserSession.objects.filter(user=manager_a).exists()


def test_sessions_page_lists_devices_and_logs_out_the_others(org_a, owner_a):
    laptop = Client(HTTP_HOST=host_of(org_a), HTTP_USER_AGENT="Laptop Firefox")
    laptop.post("/accounts/login/", {"username": owner_a.email, "password": PASSWORD})
    phone = Client(HTTP_HOST=host_of(org_a), HTTP_USER_AGENT="Phone Safari",
                   REMOTE_ADDR="10.1.2.3")
    phone.post("/accounts/login/", {"username": owner_a.email, "password": PASSWORD})
    page = phone.get("/accounts/security/").content.decode()
    assert "Laptop Firefox" in page and "Phone Safari" in page and "10.1.2.3" in page
    assert "this session" in page
    response = phone.post("/accounts/security/")
    assert response.status_code == 302
    assert laptop.get("/").status_code == 302  # logged out
    assert phone.get("/").status_code == 200
    page = phone.get("/accounts/security/").content.decode()
    assert "Laptop Firefox" not in page


def test_password_change_requires_a_recent_password(org_a, manager_a):
    client = tenant_client(org_a, manager_a)
    response = client.get("/accounts/password/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/confirm-password/?next=")
    response = client.post("/accounts/confirm-password/?next=/accounts/password/",
                           {"password": PASSWORD, "next": "/accounts/password/"})
    assert response["Location"] == "/accounts/password/"
    response = client.post("/accounts/password/", {"new_password1": "brand-new-words-93",
                                                   "new_password2": "brand-new-words-93"})
    assert response.status_code == 302
    manager_a.refresh_from_db()
    assert manager_a.check_password("brand-new-words-93")
    assert client.get("/").status_code == 200  # this session continues under a new key
    # Older than the limit, the password is asked again.
    _age_session(client, **{auth.AUTHENTICATED_AT: settings.REAUTHENTICATION_MINUTES * 60 + 5})
    assert client.get("/accounts/password/").status_code == 302


def test_two_factor_setup_requires_a_recent_password(org_a, manager_a):
    client = tenant_client(org_a, manager_a)
    response = client.get("/accounts/two-factor/")
    assert response["Location"].startswith("/accounts/confirm-password/")


# ---- two-factor -----------------------------------------------------------------------------

def test_consultant_is_sent_to_set_up_two_factor_before_anything(consultant):
    client = public_client()
    response = client.post("/accounts/login/", {"username": consultant.email,
                                                "password": PASSWORD})
    assert response.status_code == 302
    response = client.get("/console/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/two-factor/")
    assert client.get("/api/v1/organisations/").status_code == 403
    page = client.get("/accounts/two-factor/")
    assert page.status_code == 200 and "<svg" in page.content.decode()
    device = TOTPDevice.objects.get(user=consultant, confirmed=False)
    assert client.post("/accounts/two-factor/", {"token": "000000"}).status_code == 400
    device.refresh_from_db()
    device.throttle_reset()  # a wrong code makes the next one wait a second
    response = client.post("/accounts/two-factor/", {"token": totp_now(device),
                                                     "next": "/console/"})
    assert response["Location"] == "/console/"
    assert client.get("/console/").status_code == 200


def test_person_with_a_device_enters_a_code_after_the_password(org_a, owner_a):
    device = give_device(owner_a)
    client = tenant_client(org_a)
    client.post("/accounts/login/", {"username": owner_a.email, "password": PASSWORD})
    response = client.get("/programmes/")
    assert response["Location"] == "/accounts/two-factor/verify/?next=%2Fprogrammes%2F"
    before = client.session.session_key
    response = client.post("/accounts/two-factor/verify/", {"token": totp_now(device),
                                                            "next": "/programmes/"})
    assert response["Location"] == "/programmes/"
    assert client.session.session_key != before  # a new key once the factor is proven
    assert client.get("/programmes/").status_code == 200


def test_owner_can_require_two_factor_for_the_organisation(org_a, owner_a, viewer_a):
    owner = tenant_client(org_a, owner_a)
    response = owner.post("/settings/two-factor/", {"require_two_factor": "on"})
    assert response.status_code == 302
    org_a.refresh_from_db()
    assert org_a.require_two_factor
    viewer = tenant_client(org_a, viewer_a)
    response = viewer.get("/")
    assert response["Location"].startswith("/accounts/two-factor/?next=")
    # Only the owner may change the rule.
    assert tenant_client(org_a, make_member(org_a, Role.MANAGER)).get(
        "/settings/two-factor/").status_code in (302, 404)
    verified_client(viewer, viewer_a)
    assert viewer.get("/").status_code == 200


def test_verified_client_helper_lets_consultant_tests_through(org_a, consultant):
    from tenants.models import ConsultantAssignment

    ConsultantAssignment.objects.create(consultant=consultant, organisation=org_a)
    client = verified_client(Client(HTTP_HOST=host_of(org_a)), consultant)
    assert client.get("/").status_code == 200


def test_members_without_two_factor_are_untouched(org_a, viewer_a):
    assert not Membership.objects.get(user=viewer_a).organisation.require_two_factor
    assert tenant_client(org_a, viewer_a).get("/").status_code == 200


def test_password_reset_is_throttled_per_address_asked_for(org_a, owner_a):
    client = tenant_client(org_a)
    for _ in range(3):
        assert client.post("/accounts/password-reset/",
                           {"email": owner_a.email}).status_code == 302
    response = client.post("/accounts/password-reset/", {"email": owner_a.email})
    assert response.status_code == 429
