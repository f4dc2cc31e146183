from typing import Any

from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _

from core.tenancy import on_public_schema

# The organisation's menu: (URL name, label, shown in the header's first row, the role it
# needs or None).
# Five destinations are always in sight; the rest sit under "More" so that the header holds
# on one line at 1,366 px in both languages.
MENU = (
    ("dashboard", _("Dashboard"), True, None),
    ("programmes", _("Programmes"), True, None),
    ("campaign_list", _("Campaigns"), True, None),
    ("participant_list", _("Participants"), True, None),
    ("report_list", _("Reports"), True, None),
    ("team_leaderboard", _("Teams"), False, None),
    ("lever_analytics", _("Levers"), False, None),
    ("value_of_time", _("Value of time"), False, None),
    ("template_library", _("Methodology"), False, None),
    ("members", _("Members"), False, None),
    ("privacy_register", _("Personal data register"), False, None),
    ("organisation_settings", _("Settings"), False, "owner"),
    ("directory_settings", _("Directory of actions"), False, "owner"),
    ("billing_home", _("Billing"), False, "owner"),
    ("billing_accompaniment", _("Accompaniment hours"), False, "manager"),
)


def organisation(request):
    tenant = getattr(request, "tenant", None)
    on_tenant = tenant is not None and not on_public_schema()
    access = getattr(request, "access", None)
    primary, more = _menu(request, access) if on_tenant and access is not None else ([], [])
    return {
        "organisation": tenant if on_tenant else None,
        "access": access,
        "public_site_url": _public_site_url(),
        "nav_primary": primary,
        "nav_more": more,
        "nav_more_current": any(item["current"] for item in more),
        "back_url": _back_url(request),
    }


def _back_url(request) -> str:
    """The page the person came from, when it is on this site (error pages link back to it)."""
    referer = request.META.get("HTTP_REFERER", "")
    try:
        host = request.get_host()
    except Exception:  # noqa: BLE001 - a disallowed host must not break an error page
        return ""
    return referer if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={host}, require_https=request.is_secure()) else ""


def _menu(request, access) -> tuple[list[dict], list[dict]]:
    """The menu items this person may use, each marked "page" when it is the page shown and
    "true" when the page shown lies under it (a campaign under Campaigns)."""
    primary: list[dict[str, Any]] = []
    more: list[dict[str, Any]] = []
    path = getattr(request, "path", "")
    for name, label, first_row, role in MENU:
        if role is not None and not access.at_least(role):
            continue
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        current = "page" if path == url else "true" if path.startswith(url) else ""
        (primary if first_row else more).append({"url": url, "label": label, "current": current})
    return primary, more


def _public_site_url() -> str:
    port = f":{settings.SITE_PORT}" if settings.SITE_PORT else ""
    return f"{settings.SITE_SCHEME}://{settings.BASE_DOMAIN}{port}/"
