from __future__ import annotations

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django_tenants.middleware.main import TenantMainMiddleware

from core.tenancy import on_public_schema
from core.zones import organisation_zone, zone_active

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


class TimeZoneMiddleware:
    """Right after the organisation is known: its time zone is the active one while the
    request is served, so pages, forms (naive input is read in it), the API's datetimes and
    whatever the request composes (e-mails, calendar files) are in the organisation's time.
    The public site runs in ``settings.TIME_ZONE``. The zone is deactivated afterwards: a
    thread serves other organisations next (core/zones.py)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        organisation = getattr(request, "tenant", None)
        zone = None if organisation is None or on_public_schema() \
            else organisation_zone(organisation)
        with zone_active(zone):
            return self.get_response(request)


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
    "/internal/",  # the employees' address: a link to internal campaigns, by e-mail
    "/i18n/",
    "/static/",
    "/brand/logo/",  # the logo e-mails show (billing.views_brand)
    "/api/",  # the API authenticates in DRF (token or session) and checks access there
    "/partner/",  # a campaign partner's read-only figures: the link's token is the key
)


class TenantAccessMiddleware:
    """On a tenant host: anonymous visitors go to the login page; logged-in users without
    access get 404; each consultant visit is written to the audit log once per session."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        organisation = getattr(request, "tenant", None)
        request.access = None
        if organisation is None or on_public_schema():
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
        # A read-only space's refusal of writes follows: billing.middleware.
        return self.get_response(request)

