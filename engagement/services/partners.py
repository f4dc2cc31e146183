"""A campaign's partner association and the read-only links to its figures.

The partner (name, website, logo) is shown on the campaign's pages and in reports. The
organiser shares a link that opens the campaign's aggregate figures (reports'
``views_partner``): only the SHA-256 of its token is stored, so the token is shown once,
when made; a new link revokes the previous one; a revoked link answers 404.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.tenancy import call_on_commit
from tenants.models import User
from tenants.services import LOGO_MAX_BYTES, LOGO_STORED_MAX_SIDE, bounded_image

from ..models import Campaign, CampaignPartner, PartnerLink

NAME_MAX = 150
WEBSITE_MAX = 300
SUFFIXES = {"PNG": ".png", "JPEG": ".jpg", "WEBP": ".webp"}


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _logo_file(logo: UploadedFile[bytes], errors: dict[str, list[str]]
               ) -> ContentFile[bytes] | None:
    if logo.size is not None and logo.size > LOGO_MAX_BYTES:
        errors["logo"] = [_("The logo must be 1 MB or smaller.")]
        return None
    try:
        content, image_format = bounded_image(logo, max_side=LOGO_STORED_MAX_SIDE)
    except ValueError as exc:
        errors["logo"] = [str(exc)]
        return None
    return ContentFile(content, name=f"partner{SUFFIXES[image_format]}")


def campaign_partner_set(*, campaign: Campaign, name: str, website: str = "",
                         logo: UploadedFile[bytes] | None = None,
                         remove_logo: bool = False) -> CampaignPartner:
    """Name the campaign's partner (or change it). The logo is optional; a new one replaces
    the old, ``remove_logo`` drops it. Logos are PNG, JPEG or WebP up to 1 MB, stored as a
    bounded copy, like the organisation's own."""
    name, website = (name or "").strip(), (website or "").strip()
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = [_("This field is required.")]
    elif len(name) > NAME_MAX:
        errors["name"] = [_("Use at most %(n)s characters.") % {"n": NAME_MAX}]
    if website:
        try:
            URLValidator(schemes=["http", "https"])(website)
        except ValidationError:
            errors["website"] = [_("Enter a web address starting with https:// or http://.")]
        if len(website) > WEBSITE_MAX:
            errors["website"] = [_("Use at most %(n)s characters.") % {"n": WEBSITE_MAX}]
    stored = _logo_file(logo, errors) if logo is not None else None
    if errors:
        raise DomainError(errors)
    with transaction.atomic():
        partner = CampaignPartner.objects.select_for_update().filter(campaign=campaign).first()
        old_logo = partner.logo.name if partner is not None and partner.logo else ""
        if partner is None:
            partner = CampaignPartner(campaign=campaign)
        partner.name, partner.website, partner.updated_at = name, website, timezone.now()
        if stored is not None:
            partner.logo.save(stored.name or "partner.png", stored, save=False)
        elif remove_logo:
            partner.logo = None
        partner.save()
        if old_logo and old_logo != (partner.logo.name if partner.logo else ""):
            # The replaced file goes once the change is committed.
            call_on_commit(_delete_file, old_logo)
    return partner


def _delete_file(name: str) -> None:
    CampaignPartner._meta.get_field("logo").storage.delete(name)


def campaign_partner_remove(*, campaign: Campaign) -> None:
    """The campaign has no partner any more: its links stop working at once."""
    with transaction.atomic():
        partner = CampaignPartner.objects.select_for_update().filter(campaign=campaign).first()
        if partner is None:
            return
        logo = partner.logo.name if partner.logo else ""
        partner.delete()
        PartnerLink.objects.filter(campaign=campaign, revoked_at__isnull=True).update(
            revoked_at=timezone.now())
        if logo:
            call_on_commit(_delete_file, logo)


@dataclass(frozen=True)
class NewPartnerLink:
    link: PartnerLink
    token: str  # shown once: only its hash is stored


def partner_link_create(*, campaign: Campaign, by_user: User | None) -> NewPartnerLink:
    """A new link for the campaign's partner; the previous live one stops working.

    The campaign row is locked first, so two organisers making a link at once end with one
    live link (the partial unique index would refuse a second anyway)."""
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if not CampaignPartner.objects.filter(campaign=campaign).exists():
            raise DomainError({"partner": [_("Name the campaign's partner first.")]})
        PartnerLink.objects.filter(campaign=campaign, revoked_at__isnull=True).update(
            revoked_at=timezone.now())
        token = secrets.token_urlsafe(32)
        link = PartnerLink.objects.create(campaign=campaign, token_hash=_token_hash(token),
                                          created_by=by_user)
    return NewPartnerLink(link=link, token=token)


def partner_link_revoke(*, campaign: Campaign) -> int:
    """Revoke the campaign's live partner link (the number revoked: 0 or 1)."""
    with transaction.atomic():
        return PartnerLink.objects.filter(campaign=campaign, revoked_at__isnull=True).update(
            revoked_at=timezone.now())


def partner_link_open(*, token: str) -> PartnerLink | None:
    """The live link a token opens in the current organisation (None: unknown, revoked, or
    another organisation's: the caller answers 404 alike). Records when it was last read."""
    if not token or len(token) > 100:
        return None
    link = (PartnerLink.objects.select_related("campaign", "campaign__programme",
                                               "campaign__partner")
            .filter(token_hash=_token_hash(token), revoked_at__isnull=True).first())
    if link is not None:
        PartnerLink.objects.filter(pk=link.pk).update(last_opened_at=timezone.now())
    return link
