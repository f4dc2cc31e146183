"""Pages of one's own security: the second factor, re-entering the password, one's
sessions, changing the password; and the owner's rule "two-factor for everyone"."""

from __future__ import annotations

import base64
import time

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth.forms import SetPasswordForm
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.roles import Role
from core.tenancy import on_public_schema

from . import auth
from .access import require_role
from .auth_forms import OrganisationTwoFactorForm, ReauthenticationForm, TokenForm
from .sessions import end_user_sessions, live_sessions, rotate_session_key

NEW_DEVICE = "fm_2fa_new_device"


def _next_url(request, default: str = "/") -> str:
    url = request.POST.get("next") or request.GET.get("next") or ""
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()},
                                                require_https=request.is_secure()):
        return url
    if default == "/" and on_public_schema():
        return "/accounts/"
    return default


def _login_required(request):
    if not request.user.is_authenticated:
        from django.contrib.auth.views import redirect_to_login

        return redirect_to_login(request.get_full_path())
    return None


def _finish_second_factor(request, device) -> None:
    """The second factor is proven: a new session key for the raised privilege."""
    otp_login(request, device)
    request.session.pop(auth.TWO_FACTOR_STEP, None)
    request.session.pop(NEW_DEVICE, None)
    rotate_session_key(request)


@require_http_methods(["GET", "POST"])
def two_factor_verify(request):
    if (refusal := _login_required(request)) is not None:
        return refusal
    devices = TOTPDevice.objects.filter(user=request.user, confirmed=True)
    if not devices:
        return redirect("two_factor_setup")
    form = TokenForm(request.POST or None, devices=devices)
    if request.method == "POST" and form.is_valid():
        _finish_second_factor(request, form.device)
        return redirect(_next_url(request))
    return render(request, "tenants/two_factor_verify.html",
                  {"form": form, "next": _next_url(request)},
                  status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
def two_factor_setup(request):
    if (refusal := _login_required(request)) is not None:
        return refusal
    pending = request.session.get(auth.TWO_FACTOR_STEP) == auth.SETUP
    if not pending and not auth.has_recent_auth(request):
        return auth.recent_auth_required(two_factor_setup)(request)
    if auth.confirmed_device(request.user) is not None:
        return redirect("account_security")
    device = TOTPDevice.objects.filter(user=request.user, confirmed=False,
                                       pk=request.session.get(NEW_DEVICE)).first()
    if device is None:
        TOTPDevice.objects.filter(user=request.user, confirmed=False).delete()
        device = TOTPDevice.objects.create(user=request.user, name="authenticator",
                                           confirmed=False)
        request.session[NEW_DEVICE] = device.pk
    form = TokenForm(request.POST or None, devices=[device])
    if request.method == "POST" and form.is_valid():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        _finish_second_factor(request, device)
        messages.success(request, _("Two-factor authentication is on: from now on you log "
                                    "in with your password and a code from your app."))
        return redirect(_next_url(request))
    secret = base64.b32encode(device.bin_key).decode()
    return render(request, "tenants/two_factor_setup.html", {
        "form": form, "next": _next_url(request), "pending": pending,
        "required": auth.two_factor_required(request.user, getattr(request, "tenant", None)),
        # segno writes the SVG itself from the otpauth:// address: no user text in it.
        "qr_svg": mark_safe(segno.make(device.config_url, error="m").svg_inline(  # noqa: S308
            scale=4, title=_("QR code to scan with your authenticator app"))),
        "secret": " ".join(secret[i:i + 4] for i in range(0, len(secret), 4)),
    }, status=400 if form.errors else 200)


@require_POST
@auth.recent_auth_required
def two_factor_disable(request):
    if auth.two_factor_required(request.user, getattr(request, "tenant", None)):
        messages.error(request, _("Two-factor authentication is required for your account: "
                                  "it cannot be turned off."))
        return redirect("account_security")
    TOTPDevice.objects.filter(user=request.user).delete()
    messages.success(request, _("Two-factor authentication is off."))
    return redirect("account_security")


@require_http_methods(["GET", "POST"])
def reauthenticate(request):
    """Enter the password again before a sensitive change."""
    if (refusal := _login_required(request)) is not None:
        return refusal
    form = ReauthenticationForm(request.POST or None, request=request)
    if request.method == "POST" and form.is_valid():
        request.session[auth.AUTHENTICATED_AT] = time.time()
        return redirect(_next_url(request, default="/accounts/security/"))
    return render(request, "tenants/reauthenticate.html",
                  {"form": form, "next": _next_url(request, default="/accounts/security/")},
                  status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
def account_security(request):
    """One's second factor, password and sessions (with "log out the others")."""
    if (refusal := _login_required(request)) is not None:
        return refusal
    if request.method == "POST":
        ended = end_user_sessions(request.user, keep_session_key=request.session.session_key)
        messages.success(request, _("Your other sessions are logged out.") if ended
                         else _("You had no other session."))
        return redirect("account_security")
    return render(request, "tenants/account_security.html", {
        "sessions": live_sessions(request.user),
        "current_key": request.session.session_key,
        "device": auth.confirmed_device(request.user),
        "two_factor_required": auth.two_factor_required(
            request.user, getattr(request, "tenant", None)),
        "idle_minutes": settings.SESSION_IDLE_MINUTES,
        "absolute_hours": settings.SESSION_ABSOLUTE_HOURS,
    })


@require_http_methods(["GET", "POST"])
@auth.recent_auth_required
def password_change(request):
    form = SetPasswordForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        verified = request.user.otp_device if auth.is_session_verified(request) else None
        user = form.save()  # every session of the user ends here (tenants.sessions)
        auth_login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        auth.start_session(request, user, verified_device=verified)
        messages.success(request, _("Your password is changed. Your other sessions are "
                                    "logged out."))
        return redirect("account_security")
    return render(request, "tenants/password_change.html", {"form": form},
                  status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
def organisation_two_factor(request):
    """The owner's rule: every member of the space needs a second factor."""
    require_role(request, Role.OWNER)
    organisation = request.tenant
    if organisation is None or on_public_schema():
        raise Http404
    form = OrganisationTwoFactorForm(request.POST or None, initial={
        "require_two_factor": organisation.require_two_factor})
    if request.method == "POST" and form.is_valid():
        organisation.require_two_factor = form.cleaned_data["require_two_factor"]
        organisation.save(update_fields=["require_two_factor"])
        messages.success(request, _("Two-factor authentication is now required for every "
                                    "member.") if organisation.require_two_factor
                         else _("Two-factor authentication is now up to each member."))
        return redirect("organisation_two_factor")
    return render(request, "tenants/organisation_two_factor.html", {"form": form})
