"""Sessions of logged-in people: time-outs, the list of one's sessions, ending them.

- ``SessionPolicyMiddleware`` (after authentication): ends a session idle for
  ``SESSION_IDLE_MINUTES`` or logged in more than ``SESSION_ABSOLUTE_HOURS`` ago; keeps the
  session's ``UserSession`` row current (at most one write a minute); and holds a session
  that still owes its second factor to the two-factor pages (403 JSON on the API).
  On a tenant host whose owner requires two-factor, every member without a verified
  device is sent to verify or set one up.
- Every session of a user ends when the user is deactivated or their password changes
  (``end_user_sessions``, run by the ``User`` save receivers below, whatever saves it:
  a page, the admin, a service, a shell).
"""

from __future__ import annotations

import time

from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.contrib.auth.views import redirect_to_login
from django.contrib.sessions.models import Session
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from core.tenancy import on_public_schema

from . import auth
from .models import User, UserSession

# What a session that still owes its second factor may reach.
TWO_FACTOR_OPEN_PREFIXES = (
    "/accounts/two-factor/",
    "/accounts/logout/",
    "/i18n/",
    "/jsi18n/",
    "/static/",
    "/favicon",
)
SEEN_EVERY_SECONDS = 60


def client_details(request) -> dict:
    return {
        "host": request.get_host()[:255] if request.META.get("HTTP_HOST") else "",
        "user_agent": request.META.get("HTTP_USER_AGENT", "")[:300],
        "ip_address": auth.lockout_client_address(request).split("/")[0] or None,
    }


def rotate_session_key(request) -> None:
    """A new session key (privilege raised: second factor proven), its row following."""
    old_key = request.session.session_key
    request.session.cycle_key()
    if old_key:
        UserSession.objects.filter(session_key=old_key).update(
            session_key=request.session.session_key)


def end_user_sessions(user, *, keep_session_key: str | None = None) -> int:
    """Delete every stored session of ``user`` (but the one kept); their number."""
    rows = UserSession.objects.filter(user=user)
    if keep_session_key:
        rows = rows.exclude(session_key=keep_session_key)
    keys = list(rows.values_list("session_key", flat=True))
    Session.objects.filter(session_key__in=keys).delete()
    rows.delete()
    return len(keys)


def live_sessions(user):
    """The user's sessions still in the store and not expired, most recent first."""
    alive = Session.objects.filter(expire_date__gt=timezone.now()).values("session_key")
    return UserSession.objects.filter(user=user, session_key__in=alive).order_by(
        "-last_seen_at")


@receiver(user_logged_in, dispatch_uid="tenants.sessions.logged_in")
def _record_session(sender, request, user, **kwargs):
    if request is None or not hasattr(request, "session"):
        return
    if request.session.session_key is None:
        request.session.save()
    now = time.time()
    request.session.setdefault(auth.LOGGED_IN_AT, now)
    request.session.setdefault(auth.LAST_SEEN_AT, now)
    UserSession.objects.update_or_create(
        session_key=request.session.session_key,
        defaults={"user": user, **client_details(request), "created_at": timezone.now(),
                  "last_seen_at": timezone.now()})


@receiver(user_logged_out, dispatch_uid="tenants.sessions.logged_out")
def _forget_session(sender, request, user, **kwargs):
    key = getattr(getattr(request, "session", None), "session_key", None)
    if key:
        UserSession.objects.filter(session_key=key).delete()


@receiver(pre_save, sender=User, dispatch_uid="tenants.sessions.user_pre_save")
def _remember_credentials(sender, instance, raw=False, **kwargs):
    if raw or instance.pk is None:
        return
    before = User.objects.filter(pk=instance.pk).values("password", "is_active").first()
    instance._credentials_before = before


@receiver(post_save, sender=User, dispatch_uid="tenants.sessions.user_post_save")
def _end_sessions_on_credential_change(sender, instance, created, raw=False, **kwargs):
    before = getattr(instance, "_credentials_before", None)
    instance._credentials_before = None
    if raw or created or before is None:
        return
    if before["password"] != instance.password or (before["is_active"]
                                                   and not instance.is_active):
        end_user_sessions(instance)


@receiver(user_locked_out, dispatch_uid="tenants.sessions.locked_out")
def _count_lockout(sender, request=None, **kwargs):
    """One more lockout of this e-mail and address (the cool-off doubles with each)."""
    from axes.helpers import get_failure_limit

    if request is None:
        return
    failures = getattr(request, "axes_failures_since_start", None)
    credentials = getattr(request, "axes_credentials", None)
    if failures == get_failure_limit(request, credentials):
        auth.record_lockout(request)


class SessionPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return self.get_response(request)
        session = request.session
        now = time.time()
        logged_in_at = session.setdefault(auth.LOGGED_IN_AT, now)
        seen_at = session.get(auth.LAST_SEEN_AT, now)
        if (now - logged_in_at > settings.SESSION_ABSOLUTE_HOURS * 3600
                or now - seen_at > settings.SESSION_IDLE_MINUTES * 60):
            logout(request)
            if request.path.startswith("/api/"):
                return JsonResponse({"message": _("Your session has ended: please log in "
                                                  "again."), "errors": {}}, status=403)
            return redirect_to_login(request.get_full_path())
        if now - seen_at >= SEEN_EVERY_SECONDS or auth.LAST_SEEN_AT not in session:
            session[auth.LAST_SEEN_AT] = now
            if session.session_key:
                UserSession.objects.filter(session_key=session.session_key).update(
                    last_seen_at=timezone.now())

        step = session.get(auth.TWO_FACTOR_STEP)
        if step and auth.is_session_verified(request):  # proven since (another path)
            del session[auth.TWO_FACTOR_STEP]
            step = None
        organisation = getattr(request, "tenant", None)
        if (step is None and organisation is not None
                and not on_public_schema()
                and organisation.require_two_factor and not auth.is_session_verified(request)):
            step = auth.two_factor_step(user, organisation)
            session[auth.TWO_FACTOR_STEP] = step
        if step and not request.path.startswith(TWO_FACTOR_OPEN_PREFIXES):
            if request.path.startswith("/api/"):
                return JsonResponse({"message": _("Two-factor authentication is required: "
                                                  "finish logging in in your browser."),
                                     "errors": {}}, status=403)
            url = reverse("two_factor_verify" if step == auth.VERIFY else "two_factor_setup")
            if request.method == "GET":
                url += "?" + urlencode({"next": request.get_full_path()})
            return redirect(url)
        return self.get_response(request)

