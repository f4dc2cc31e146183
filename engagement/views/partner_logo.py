"""A campaign partner's logo at a public address: the campaign page (anyone with its
address), the partner's figures page and e-mails show it without a session, so it cannot
be behind the members-only media route. Only that one file is served."""

from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from ..models import CampaignPartner

LOGO_CACHE_SECONDS = 24 * 3600


@require_GET
def campaign_partner_logo(request, code):
    partner = get_object_or_404(CampaignPartner.objects.only("logo"), campaign__code=code)
    if not partner.logo:
        raise Http404
    try:
        logo = partner.logo.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(logo)
    # The address carries the file's name (?v=), so a new logo is a new address.
    response["Cache-Control"] = f"public, max-age={LOGO_CACHE_SECONDS}"
    response["X-Content-Type-Options"] = "nosniff"
    return response
