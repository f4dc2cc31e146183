"""The organisation's logo at a public address, for its e-mails.

Mail clients fetch images without anyone's session, so the logo cannot be behind the
members-only media route. Only the logo is served here, and only while the organisation
has the "branded space" option (the e-mails show it only then).
"""

from django.http import Http404
from django.views.decorators.http import require_GET

from core.public_files import public_image_response

from .codes import Option
from .entitlements import entitlements_for


@require_GET
def organisation_logo(request):
    organisation = request.tenant
    if not entitlements_for(organisation).allows(Option.BRANDED_SPACE):
        raise Http404
    return public_image_response(organisation.logo)
