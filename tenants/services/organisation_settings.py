"""An organisation's settings: name, language, time zone, allowed e-mail domains, and its
branding (colour and logo; logos are re-encoded, bounded copies)."""

from __future__ import annotations

import secrets
from collections.abc import Collection
from typing import IO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from PIL import Image

from core.errors import DomainError
from core.tenancy import call_on_commit
from core.zones import is_zone

from ..email_domains import domain_errors
from ..models import Organisation

LOGO_MAX_BYTES = 1024 * 1024
LOGO_FORMATS = {"PNG", "JPEG", "WEBP"}
# A logo's header is read before any pixel is decoded: past these dimensions it is refused
# (a PNG of a few bytes can announce billions of pixels). What is kept is a copy no larger
# than LOGO_STORED_MAX_SIDE on its longer side: pages show it at 40 px and reports at 30 mm,
# so even print needs no more, and nothing downstream (pages, the PDF renderer) ever decodes
# a large image.
LOGO_MAX_SIDE = 4000
LOGO_STORED_MAX_SIDE = 800
# Pillow warns past this many pixels and refuses (DecompressionBombError) past twice it,
# whoever opens the image (WeasyPrint included). No image of the project needs more than
# the largest logo accepted; its default (89 million pixels, 350 MB decoded) is far more.
Image.MAX_IMAGE_PIXELS = LOGO_MAX_SIDE * LOGO_MAX_SIDE


class NotAnImage(ValueError):
    """The file is not an image of the formats asked for."""


def bounded_image(source: IO[bytes] | bytes | bytearray, *, max_side: int,
                  formats: Collection[str] = frozenset(LOGO_FORMATS)) -> tuple[bytes, str]:
    """A re-encoded copy of the image in ``source`` (a file or bytes) no larger than
    ``max_side`` pixels on either side, in its own format, without metadata. Raises
    ``ValueError`` with a message for people when it is not an image of ``formats``
    (``NotAnImage``), is damaged, or announces more than ``LOGO_MAX_SIDE`` pixels on a side
    (checked from the header, before any decoding)."""
    import io
    import warnings

    from PIL import UnidentifiedImageError

    if isinstance(source, bytes | bytearray):
        source = io.BytesIO(source)
    try:
        with warnings.catch_warnings():
            # Pillow only warns between its limit and twice it; past ours is an error.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(source, formats=sorted(formats)) as image:
                image_format = image.format
                width, height = image.size
                if width > LOGO_MAX_SIDE or height > LOGO_MAX_SIDE:
                    raise ValueError(_(
                        "The logo must be at most %(side)s × %(side)s pixels.") % {
                        "side": number_format(LOGO_MAX_SIDE, force_grouping=True)})
                image.load()
                if image_format == "JPEG":
                    kept = image.convert("RGB")
                elif image.mode in ("1", "L", "LA", "P", "RGB", "RGBA"):
                    kept = image.copy()
                else:
                    kept = image.convert("RGBA")
        kept.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
        out = io.BytesIO()
        kept.save(out, format=image_format, **({"quality": 90} if image_format in
                                                 ("JPEG", "WEBP") else {"optimize": True}))
    except ValueError:
        raise
    except UnidentifiedImageError as exc:
        raise NotAnImage(_("Upload a PNG, JPEG or WebP image.")) from exc
    except (Image.DecompressionBombError, Image.DecompressionBombWarning, OSError,
            SyntaxError, EOFError) as exc:
        raise ValueError(_("Upload a PNG, JPEG or WebP image.")) from exc
    assert image_format is not None  # opened as one of ``formats``
    return out.getvalue(), image_format


def organisation_update(*, organisation: Organisation, name: str, locale: str, time_zone: str,
                        brand_colour: str, logo: File[bytes] | None = None,
                        remove_logo: bool = False,
                        allowed_email_domains: list[str] | None = None,
                        participant_retention_months: int | None = None,
                        report_retention_months: int | None = None) -> Organisation:
    """Change an organisation's name, language, time zone, branding and the e-mail domains
    that may join its internal campaigns (``None``: unchanged) (owners only).

    Logos are PNG, JPEG or WebP up to 1 MB and 4,000 pixels a side: SVG could carry
    scripts, and the logo is shown on every page and printed in reports. What is stored is
    a copy at most ``LOGO_STORED_MAX_SIDE`` pixels a side (``bounded_image``).
    """
    from django.core.files.base import ContentFile

    from ..models import colour_validator

    errors: dict[str, list[str]] = {}
    if not (name or "").strip():
        errors["name"] = [_("This field is required.")]
    if locale not in dict(settings.LANGUAGES):
        errors["locale"] = [_("Choose “fr” or “en”.")]
    if not is_zone(time_zone):
        errors["time_zone"] = [_("Choose a time zone from the list.")]
    try:
        colour_validator(brand_colour or "")
    except ValidationError as exc:
        errors["brand_colour"] = list(exc.messages)
    stored_logo = None
    if logo is not None:
        if logo.size > LOGO_MAX_BYTES:
            errors["logo"] = [_("The logo must be 1 MB or smaller.")]
        else:
            try:
                content, image_format = bounded_image(logo, max_side=LOGO_STORED_MAX_SIDE)
            except ValueError as exc:
                errors["logo"] = [str(exc)]
            else:
                suffix = {"PNG": ".png", "JPEG": ".jpg", "WEBP": ".webp"}[image_format]
                stored_logo = ContentFile(content, name=f"logo{suffix}")
    if allowed_email_domains is not None and domain_errors(allowed_email_domains):
        errors["allowed_email_domains"] = domain_errors(allowed_email_domains)
    errors.update(_retention_errors(participant_retention_months, report_retention_months))
    if errors:
        raise DomainError(errors)
    with transaction.atomic():
        organisation.name = name.strip()
        organisation.locale = locale
        organisation.time_zone = time_zone
        organisation.brand_colour = brand_colour.lower()
        fields = ["name", "locale", "time_zone", "brand_colour"]
        if allowed_email_domains is not None:
            organisation.allowed_email_domains = allowed_email_domains
            fields.append("allowed_email_domains")
        for field, months in (("participant_retention_months", participant_retention_months),
                              ("report_retention_months", report_retention_months)):
            if months is not None:
                setattr(organisation, field, months)
                fields.append(field)
        old_logo = organisation.logo.name if organisation.logo else ""
        if stored_logo is not None:
            organisation.logo.save(
                f"logo-{secrets.token_hex(4)}{_suffix(stored_logo.name)}", stored_logo,
                save=False)
            fields.append("logo")
        elif remove_logo and old_logo:
            organisation.logo = ""
            fields.append("logo")
        organisation.save(update_fields=fields)
        if "logo" in fields and old_logo:
            storage = organisation.logo.storage
            call_on_commit(storage.delete, old_logo)
    return organisation


def _retention_errors(participants: int | None, reports: int | None) -> dict[str, list[str]]:
    """The retention periods' bounds (``None``: unchanged), errors named by field."""
    errors: dict[str, list[str]] = {}
    if participants is not None and not 6 <= participants <= 72:
        errors["participant_retention_months"] = [
            _("Keep participants' data between 6 and 72 months.")]
    if reports is not None and not 1 <= reports <= 120:
        errors["report_retention_months"] = [_("Keep report files between 1 and 120 months.")]
    return errors


def _suffix(filename: str | None) -> str:
    from pathlib import Path

    suffix = Path(filename or "").suffix.lower()
    return suffix if suffix in {".png", ".jpg", ".jpeg", ".webp"} else ".png"
