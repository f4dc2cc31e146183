from __future__ import annotations

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.db import connection
from django.http import Http404
from django_tenants.middleware.main import TenantMainMiddleware

from billing.entitlements import entitlements_for

from .access import log_consultant_entry, resolve_access
from .models import Organisation


class OrganisationMiddleware(TenantMainMiddleware):
    """Routes ``<slug>.<BASE_DOMAIN>`` to the organisation's schema.

    An unknown host gets the ordinary 404 page (Http404 raised here is rendered by Django's
    handler), never a crash or the public site. The bare base domain (and ``www.``) is the
    public site whatever the Domain rows say, so changing BASE_DOMAIN needs no data fix.
    Closed organisations and the template schema are not served.
    """

    def get_tenant(self, domain_model, hostname):
        if hostname in (settings.BASE_DOMAIN, f"www.{settings.BASE_DOMAIN}"):
            return Organisation.objects.get(schema_name=settings.PUBLIC_SCHEMA_NAME)
        tenant = super().get_tenant(domain_model, hostname)
        if tenant.status == Organisation.Status.CLOSED or tenant.is_template:
            raise domain_model.DoesNotExist
        return tenant


# Paths of a tenant host that anonymous visitors and non-members may reach.
OPEN_PREFIXES = (
    "/accounts/login/",
    "/accounts/logout/",
    "/accounts/password-reset/",
    "/accounts/reset/",
    "/accounts/handoff/",
    "/invitations/",
    "/c/",  # campaign pages: public ones to anyone, internal ones check who joins
    "/me/",  # participants' pages, reached with a signed link
    "/i18n/",
    "/static/",
    "/api/",  # the API authenticates in DRF (token or session) and checks access there
)


# A suspended space (or a trial that ended) is read-only, except to pay and to log in.
# Participants' pages stay usable (cancelling a pledge is always allowed); sign-ups on
# campaign pages are refused by the service with "this campaign is paused".
WRITABLE_WHEN_READ_ONLY = ("/billing/", "/accounts/", "/i18n/", "/c/", "/me/")


def read_only_response(request):
    from django.http import JsonResponse
    from django.shortcuts import render
    from django.utils.translation import gettext as _

    message = _("This space is read-only until the subscription is paid: your data is kept, "
                "nothing new can be recorded.")
    if request.path.startswith("/api/"):
        return JsonResponse({"message": message, "errors": {}}, status=403)
    return render(request, "billing/read_only.html", {"message": message}, status=403)


class TenantAccessMiddleware:
    """On a tenant host: anonymous visitors go to the login page; logged-in users without
    access get 404; each consultant visit is written to the audit log once per session."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        organisation = getattr(request, "tenant", None)
        request.access = None
        if organisation is None or connection.schema_name == settings.PUBLIC_SCHEMA_NAME:
            return self.get_response(request)

        if not request.user.is_authenticated:
            request.access = None
        else:
            request.access = resolve_access(request.user, organisation)

        if not request.path.startswith(OPEN_PREFIXES):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if request.access is None:
                raise Http404
            if request.access.via_consultant:
                log_consultant_entry(request, organisation)
        if request.method not in ("GET", "HEAD", "OPTIONS") and \
                not request.path.startswith(WRITABLE_WHEN_READ_ONLY) and \
                entitlements_for(organisation).read_only:
            return read_only_response(request)
        return self.get_response(request)

