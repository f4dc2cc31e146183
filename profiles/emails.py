"""The profile link's e-mail, in the person's language, in Fullmobs' frame."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from tenants.email_html import account_email_send

from .services import LINK_MAX_AGE, address_key, profile_link_url


def profile_link_email_send(*, email: str, language: str) -> None:
    link = profile_link_url(address_key(email))
    language = language if language in ("fr", "en") else "fr"
    with translation.override(language):
        account_email_send(
            subject=_("Your actions with Fullmobs"),
            body=render_to_string("profiles/email/profile_link.txt", {
                "link": link, "minutes": int(LINK_MAX_AGE.total_seconds() // 60)}),
            to=email, language=language, action_url=link,
            action_label=_("See my actions"))
