"""A campaign partner's logo at a public address: the campaign page (anyone with its
address), the partner's figures page and e-mails show it without a session, so it cannot
be behind the members-only media route. Only that one file is served."""

from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from core.public_files import public_image_response

from ..models import CampaignPartner


@require_GET
def campaign_partner_logo(request, code):
    partner = get_object_or_404(CampaignPartner.objects.only("logo"), campaign__code=code)
    return public_image_response(partner.logo)
