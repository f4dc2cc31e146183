"""The read-only gate: a suspended space (or a trial that ended) records nothing new."""

from __future__ import annotations

from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from core.tenancy import on_public_schema

from .entitlements import entitlements_for

# A read-only space still lets people pay and log in. Participants' pages stay usable
# (cancelling a pledge is always allowed); sign-ups on campaign pages are refused by the
# service with "this campaign is paused".
# A closing space's owners may still cancel the closure (on its page or the API).
WRITABLE_WHEN_READ_ONLY = ("/billing/", "/accounts/", "/i18n/", "/c/", "/me/",
                           "/settings/closure/", "/api/v1/organisation/closure/")
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def read_only_response(request):
    if getattr(request.tenant, "closure_requested_at", None) is not None:
        message = _("This space is read-only: its closure is requested. An owner can cancel "
                    "it from the closure page.")
    else:
        message = _("This space is read-only until the subscription is paid: your data is "
                    "kept, nothing new can be recorded.")
    if request.path.startswith("/api/"):
        return JsonResponse({"message": message, "errors": {}}, status=403)
    return render(request, "billing/read_only.html", {"message": message}, status=403)


class ReadOnlyMiddleware:
    """On a tenant host, after tenants' access check: a write to a read-only space is refused
    with 403 (JSON on the API), except on the paths that stay writable."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        organisation = getattr(request, "tenant", None)
        if (organisation is not None
                and not on_public_schema()
                and request.method not in SAFE_METHODS
                and not request.path.startswith(WRITABLE_WHEN_READ_ONLY)
                and entitlements_for(organisation).read_only):
            return read_only_response(request)
        return self.get_response(request)
