"""The organisation's logo at a public address, for its e-mails.

Mail clients fetch images without anyone's session, so the logo cannot be behind the
members-only media route. Only the logo is served here, and only while the organisation
has the "branded space" option (the e-mails show it only then).
"""

from django.http import FileResponse, Http404
from django.views.decorators.http import require_GET

from .codes import Option
from .entitlements import entitlements_for

LOGO_CACHE_SECONDS = 24 * 3600


@require_GET
def organisation_logo(request):
    organisation = request.tenant
    if not organisation.logo or not entitlements_for(organisation).allows(
            Option.BRANDED_SPACE):
        raise Http404
    try:
        logo = organisation.logo.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(logo)
    # The address carries the file's version (?v=), so a new logo is a new address.
    response["Cache-Control"] = f"public, max-age={LOGO_CACHE_SECONDS}"
    response["X-Content-Type-Options"] = "nosniff"
    return response
