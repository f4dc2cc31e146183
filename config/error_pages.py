"""The product's own "page not found" page on organisations' hosts, whatever DEBUG says."""

from django.conf import settings
from django.http import Http404, JsonResponse
from django.utils import translation
from django.views.defaults import page_not_found

# In the head of Django's technical 404 page (django/views/templates/technical_404.html); a 404
# that a view rendered on purpose (templates/404.html with its own context) is left alone.
TECHNICAL_PAGE_MARK = b'<meta name="robots" content="NONE,NOARCHIVE">'


class NotFoundPageMiddleware:
    """With DEBUG on (development, demonstrations), Django answers a 404 with its technical
    page, which lists the site's URL patterns. People reach 404s on an organisation's host by
    following links (a campaign still in draft, a removed page), so there they always read
    templates/404.html, in their language, with a way back. The public site and the API keep
    Django's usual answers. Placed before the organisation middleware, so that an unknown
    host (a 404 raised there) is covered too."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (settings.DEBUG and response.status_code == 404 and not response.streaming
                and TECHNICAL_PAGE_MARK in response.content
                and not request.path.startswith("/api/")
                and not _on_public_site(request)):
            if not hasattr(request, "LANGUAGE_CODE"):  # refused before the locale was read
                translation.activate(translation.get_language_from_request(request))
            return page_not_found(request, Http404())
        return response


def _on_public_site(request) -> bool:
    tenant = getattr(request, "tenant", None)
    return tenant is not None and tenant.schema_name == settings.PUBLIC_SCHEMA_NAME


# ---- the database unreachable (restarting, failing over): 503 and "try again" -------------

DATABASE_UNAVAILABLE_RETRY_AFTER = "10"
KEPT_HEADERS = ("Strict-Transport-Security", "Content-Security-Policy", "X-Content-Type-Options",
                "Referrer-Policy", "Cross-Origin-Opener-Policy", "X-Frame-Options")


def _note_database_error(sender, request=None, **kwargs) -> None:
    """``got_request_exception`` handler: mark the request whose uncaught exception is the
    database being unreachable (whether a view or a middleware raised it), for
    DatabaseUnavailableMiddleware to answer 503 instead of 500."""
    import sys

    from django.db import InterfaceError, OperationalError

    error = sys.exc_info()[1]
    if request is not None and isinstance(error, OperationalError | InterfaceError):
        request.database_unavailable = True


class DatabaseUnavailableMiddleware:
    """First in the chain. A request that failed because PostgreSQL could not be reached
    (a restart, a failover, a dropped connection) is answered 503 with Retry-After: a page
    in the visitor's language saying nothing was recorded and to try again, or a JSON
    ``detail`` for the API, never the 500 page or a traceback.

    "Nothing was recorded" holds because every write is one transaction: an error before
    its commit rolls it back. Django drops the broken connection at the end of the request
    and the next one connects again (CONN_HEALTH_CHECKS)."""

    def __init__(self, get_response):
        from django.core.signals import got_request_exception

        got_request_exception.connect(_note_database_error,
                                      dispatch_uid="fullmobs-database-unavailable")
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code >= 500 and getattr(request, "database_unavailable", False):
            replacement = database_unavailable_response(request)
            for header in KEPT_HEADERS:  # set on the 500 by the security middlewares
                if header in response:
                    replacement[header] = response[header]
            return replacement
        return response


def database_unavailable_response(request):
    from django.http import HttpResponse, JsonResponse
    from django.template.loader import render_to_string
    from django.utils.translation import gettext

    language = (getattr(request, "LANGUAGE_CODE", None)
                or translation.get_language_from_request(request))
    with translation.override(language):
        if request.path.startswith("/api/"):
            response = JsonResponse(
                {"detail": gettext("The service is briefly unavailable (database). Nothing "
                                   "was recorded: try again in a few seconds.")}, status=503)
        else:
            response = HttpResponse(render_to_string(
                "503.html", {"retry_url": _retry_url(request)}), status=503)
    response["Retry-After"] = DATABASE_UNAVAILABLE_RETRY_AFTER
    response["Content-Language"] = language
    return response


def _retry_url(request) -> str:
    """Where "Try again" leads: the same page for a GET; for a form sent by POST, the page
    the form was on (its Referer, on this host), since the POST's own address shows nothing."""
    from django.utils.http import url_has_allowed_host_and_scheme

    if request.method in ("GET", "HEAD"):
        return request.get_full_path()
    referer = request.META.get("HTTP_REFERER", "")
    host = request.META.get("HTTP_HOST", "")
    if referer and url_has_allowed_host_and_scheme(referer, allowed_hosts={host}):
        return referer
    return "/"


# ---- "not found" under /api/: JSON like every other API answer --------------------------

def not_found(request, exception):
    """``handler404``: an address under ``/api/`` that no route matches (an identifier that
    is not a number, say) answers in the API's JSON shape; pages get templates/404.html."""
    if request.path.startswith("/api/"):
        from rest_framework.exceptions import NotFound

        return JsonResponse({"message": str(NotFound.default_detail), "errors": {}},
                            status=404)
    return page_not_found(request, exception)
