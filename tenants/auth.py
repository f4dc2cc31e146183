"""Rules of logging in: lockout of password guessing, the second factor, re-authentication.

- **Lockout** (django-axes): every ``authenticate()`` call counts, whichever page or API
  makes it (tenant and public login, the admin, ``/api/v1/auth/token/``, re-entering
  one's password). The callables below give axes the client address (read behind our
  proxies like every throttle), the e-mail as typed (case-insensitive), a cool-off that
  doubles with each lockout of the same e-mail and address within a day, and the answer
  in the page's language (JSON for the API).
- **Second factor** (django-otp, TOTP): ``two_factor_step`` says what a session still owes
  after the password: nothing, "verify" (the person has an authenticator) or "setup" (the
  person must have one: staff, consultants, members of an organisation that requires it).
- **Re-authentication**: ``recent_auth_required`` sends to the password page unless the
  password was entered in the last ``REAUTHENTICATION_MINUTES``.
"""

from __future__ import annotations

import hashlib
import time
from datetime import timedelta
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_tenants.utils import schema_context

from core.tenancy import on_public_schema

# Session keys.
TWO_FACTOR_STEP = "fm_2fa_step"  # "verify" or "setup" while the second factor is owed
AUTHENTICATED_AT = "fm_auth_at"  # when the password was entered (login or re-entry)
LOGGED_IN_AT = "fm_login_at"  # when the session was logged in (absolute time-out)
LAST_SEEN_AT = "fm_seen_at"  # last request (idle time-out)

VERIFY, SETUP = "verify", "setup"


# ---- lockout (django-axes callables) ------------------------------------------------------

def lockout_client_address(request) -> str:
    """REMOTE_ADDR, or with NUM_PROXIES > 0 the address our outermost proxy saw (the
    NUM_PROXIES-th from the right of X-Forwarded-For); what a client writes further left
    proves nothing. The same reading as tenants.throttle.client_address."""
    request = getattr(request, "_request", request)
    address = request.META.get("REMOTE_ADDR", "")
    proxies = int(getattr(settings, "NUM_PROXIES", 0) or 0)
    if proxies > 0:
        forwarded = [part.strip() for part in
                     request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if forwarded:
            address = forwarded[-min(proxies, len(forwarded))]
    return address[:64]


def lockout_username(request, credentials) -> str | None:
    """The e-mail as typed, lower-cased, so that ``A@x`` and ``a@x`` share one count."""
    if credentials:
        value = credentials.get("username") or credentials.get("email")
    else:
        data = getattr(request, "data", None) or request.POST
        value = data.get("username") or data.get("email")
    return value.strip().lower()[:255] if isinstance(value, str) else value


def _lockouts_key(request) -> str:
    credentials = getattr(request, "axes_credentials", None)
    who = f"{lockout_username(request, credentials) or ''}|{lockout_client_address(request)}"
    return "axes-lockouts:" + hashlib.sha256(who.encode()).hexdigest()


def record_lockout(request) -> int:
    """Count one more lockout of this e-mail and address (kept a day); their number."""
    key = _lockouts_key(request)
    with schema_context(settings.PUBLIC_SCHEMA_NAME):  # one count whatever the host
        cache.add(key, 0, timeout=86400)
        try:
            return cache.incr(key)
        except ValueError:
            cache.set(key, 1, timeout=86400)
            return 1


def _lockouts(request) -> int:
    with schema_context(settings.PUBLIC_SCHEMA_NAME):
        return cache.get(_lockouts_key(request), 0)


def lockout_cool_off(request=None) -> timedelta:
    """LOGIN_LOCKOUT_MINUTES, doubled for each earlier lockout of the pair within a day."""
    base = timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
    if request is None:
        return base
    earlier = max(0, _lockouts(request) - 1)
    return min(base * (2 ** min(earlier, 16)),
               timedelta(hours=settings.LOGIN_LOCKOUT_MAX_HOURS))


def lockout_message(request) -> tuple[str, int]:
    minutes = max(1, int(lockout_cool_off(request).total_seconds() // 60))
    if minutes >= 120:
        hours = minutes // 60
        wait = ngettext("%(count)s hour", "%(count)s hours", hours) % {"count": hours}
    else:
        wait = ngettext("%(count)s minute", "%(count)s minutes", minutes) % {
            "count": minutes}
    message = _("Too many failed attempts for this e-mail address from your connection. "
                "For your security, try again in %(wait)s or reset your password.") % {
        "wait": wait}
    return message, minutes * 60


def lockout_response(request, original_response=None, credentials=None):
    """What a locked-out client reads: a page in its language, or JSON for the API."""
    request = getattr(request, "_request", request)
    message, seconds = lockout_message(request)
    if request.path.startswith("/api/"):
        response = JsonResponse({"message": message, "errors": {}}, status=429)
    else:
        from .forms import OrganisationLoginForm

        form = OrganisationLoginForm(request, data=request.POST or None)
        form.is_bound = False  # show the page, not the form's own errors
        response = render(request, "tenants/locked_out.html",
                          {"message": message, "form": form}, status=429)
    response["Retry-After"] = str(seconds)
    return response


def is_locked_out(request, username: str) -> bool:
    from axes.handlers.proxy import AxesProxyHandler

    return AxesProxyHandler.is_locked(request, {"username": username})


# ---- second factor --------------------------------------------------------------------------

def confirmed_device(user):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def two_factor_required(user, organisation=None) -> bool:
    """Staff and consultants always; others when the organisation they enter requires it."""
    if user.is_staff or user.is_consultant:
        return True
    return bool(organisation is not None and getattr(organisation, "require_two_factor", False)
                and not on_public_schema())


def two_factor_step(user, organisation=None) -> str | None:
    if confirmed_device(user) is not None:
        return VERIFY
    if two_factor_required(user, organisation):
        return SETUP
    return None


def start_session(request, user, *, verified_device=None) -> None:
    """After ``login()``: stamp the session and say what it still owes.

    ``login()`` has already given the session a new key (Django cycles it). A device that
    was verified on another host (the hand-off) is carried over.
    """
    now = time.time()
    request.session[LOGGED_IN_AT] = now
    request.session[LAST_SEEN_AT] = now
    request.session[AUTHENTICATED_AT] = now
    if verified_device is not None:
        from django_otp import login as otp_login

        otp_login(request, verified_device)
        request.session.pop(TWO_FACTOR_STEP, None)
        return
    step = two_factor_step(user, getattr(request, "tenant", None))
    if step:
        request.session[TWO_FACTOR_STEP] = step
    else:
        request.session.pop(TWO_FACTOR_STEP, None)


def is_session_verified(request) -> bool:
    user = getattr(request, "user", None)
    return bool(user is not None and getattr(user, "is_verified", lambda: False)())


# ---- re-authentication -----------------------------------------------------------------------

def has_recent_auth(request) -> bool:
    entered = request.session.get(AUTHENTICATED_AT)
    return bool(entered and time.time() - entered
                <= settings.REAUTHENTICATION_MINUTES * 60)


def recent_auth_required(view):
    """The view runs only if the password was entered in the last few minutes."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            from django.contrib.auth.views import redirect_to_login

            return redirect_to_login(request.get_full_path())
        if not has_recent_auth(request):
            return redirect(reverse("reauthenticate") + "?"
                            + urlencode({"next": request.get_full_path()}))
        return view(request, *args, **kwargs)

    return wrapper
