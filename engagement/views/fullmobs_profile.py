"""The Fullmobs profile on the public site (``/my-actions/``): a person types their
address and receives a short-lived link by e-mail; the link opens, for an hour in that
browser, their actions in every organisation where they ticked "keep my actions in my
Fullmobs profile", read at that moment from each organisation's schema. From there they
download it all (JSON, CSV) or erase every link.

Nothing shows without the proven address: the address typed proves nothing (the same
answer for every address, an e-mail only to a linked one), a forged or expired link gets
the same page as any wrong one, and the session holds the address's keyed hash, never
the address."""

from __future__ import annotations

import json
import time

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from profiles.forms import ProfileAddressForm
from profiles.services import (
    SESSION_MAX_AGE,
    address_key,
    profile_key_from_token,
    profile_link_request,
    profile_links_erase,
)
from tenants import throttle

from ..profile import person_profile, profile_export, profile_export_csv

THROTTLE_SCOPE = "profile_link"
SESSION_KEY = "fullmobs_profile"


def _profile_key(request) -> str | None:
    """The address key this browser proved within the last SESSION_MAX_AGE."""
    held = request.session.get(SESSION_KEY) or {}
    if not held.get("k") or time.time() - held.get("at", 0) > SESSION_MAX_AGE.total_seconds():
        request.session.pop(SESSION_KEY, None)
        return None
    return str(held["k"])


@never_cache
@require_http_methods(["GET", "POST"])
def profile_request(request):
    """The address form; every well-formed address gets the same answer."""
    if _profile_key(request) is not None and request.method == "GET":
        return redirect("profile_page")
    form = ProfileAddressForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        email = str(request.POST.get("email", ""))
        try:
            throttle.check(request, THROTTLE_SCOPE, subject=address_key(email))
        except throttle.RateLimited as exc:
            form.is_valid()  # the address typed is shown again, with the refusal above it
            form.errors.clear()
            form.add_error(None, exc.message)
            return render(request, "engagement/profile_request.html", {"form": form},
                          status=throttle.STATUS)
        if form.is_valid():
            profile_link_request(email=form.cleaned_data["email"],
                                 language=translation.get_language()[:2])
            messages.success(request, _(
                "Thank you. If organisations keep actions of this address in a Fullmobs "
                "profile, a message with your link is on its way: check your inbox (and "
                "your spam folder) in a few minutes."))
            return redirect("profile_request")
    return render(request, "engagement/profile_request.html", {"form": form},
                  status=400 if form.errors else 200)


@never_cache
def profile_open(request, token):
    """The e-mailed link: remembered (as the address's key) for an hour, then the profile;
    a forged, altered or expired link gets one page that says only that."""
    key = profile_key_from_token(token)
    if key is None:
        return render(request, "engagement/profile_link_invalid.html",
                      {"form": ProfileAddressForm()}, status=404)
    request.session.cycle_key()
    request.session[SESSION_KEY] = {"k": key, "at": time.time()}
    return redirect("profile_page")


def _required_key(request) -> str:
    key = _profile_key(request)
    if key is None:
        raise Http404
    return key


@never_cache
@require_GET
def profile_page(request):
    key = _profile_key(request)
    if key is None:
        return redirect("profile_request")
    profile = person_profile(key)
    return render(request, "engagement/profile_page.html", {
        "profile": profile, "now": timezone.now()})


@never_cache
@require_GET
def profile_download(request, kind):
    if kind not in ("json", "csv"):
        raise Http404
    key = _required_key(request)
    lang = translation.get_language()[:2]
    profile = person_profile(key)
    stamp = timezone.localdate().isoformat()
    if kind == "csv":
        body, content_type = profile_export_csv(profile, in_language=lang), \
            "text/csv; charset=utf-8"
    else:
        body = json.dumps(profile_export(profile, in_language=lang), ensure_ascii=False,
                          indent=2).encode()
        content_type = "application/json; charset=utf-8"
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="fullmobs-profile-{stamp}.{kind}"'
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def profile_erase(request):
    """Asks first; the POST removes every link of the address, in every organisation
    (their data there stays theirs, each with its own page and rights)."""
    key = _required_key(request)
    if request.method == "GET":
        return render(request, "engagement/profile_erase.html", {})
    profile_links_erase(key=key)
    request.session.pop(SESSION_KEY, None)
    messages.success(request, _("The links are erased: no organisation shows your actions "
                                "in a Fullmobs profile any more."))
    return redirect("profile_request")
