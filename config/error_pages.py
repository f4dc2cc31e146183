"""The product's own "page not found" page on organisations' hosts, whatever DEBUG says."""

from django.conf import settings
from django.http import Http404
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
