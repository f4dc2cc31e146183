"""The consent parts of pages: the person's own choice with its history, and the history
alone for managers (on pages that already checked who may see the person)."""

from typing import TYPE_CHECKING

from django import template
from django.utils.translation import gettext_lazy as _

from ..models import ConsentRecord, Participant
from ..services.consent import consent_history, consent_wording

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

register = template.Library()

Source = ConsentRecord.Source
# How each way reads to the person themselves (managers read the sources' own labels).
TO_THE_PERSON: "dict[str, StrOrPromise]" = {
    Source.JOIN_FORM: _("on the sign-up form"),
    Source.OWN_PAGE: _("on this page"),
    Source.UNSUBSCRIBE_LINK: _("with the unsubscribe link of an e-mail"),
    Source.IMPORT: _("in a list the organisation imported"),
    Source.API: _("recorded by the organisation"),
    Source.ORGANISER: _("recorded by the organisation at your request"),
}


@register.inclusion_tag("engagement/_consent.html", takes_context=True)
def consent_choice(context, participant: Participant, token: str) -> dict:
    """On the person's own page: the switch, worded as recorded, and the history."""
    consents = consent_history(participant)
    for record in consents:
        # For the template only: how the record reads to the person.
        record.how = TO_THE_PERSON.get(  # type: ignore[attr-defined]
            record.source, record.get_source_display())
    return {"participant": participant, "token": token, "wording": consent_wording(),
            "consents": consents,
            "csrf_token": context.get("csrf_token")}


@register.inclusion_tag("engagement/_consent_history.html")
def consent_records(participant: Participant) -> dict:
    return {"consents": consent_history(participant), "participant": participant,
            "for_organiser": True}
