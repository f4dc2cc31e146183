"""An outbox row as the e-mail that leaves: plain text, HTML, calendar and headers.

- The HTML part is drawn from the row's text by ``tenants.email_html``, in the row's
  language, with the organisation's logo and colour when it has the "branded space"
  option and Fullmobs' frame otherwise; the row's ``action_url`` is its button.
- A row with a ``calendar`` (an iCalendar text, METHOD REQUEST or CANCEL) carries it twice,
  as mail clients expect of an invitation: a ``text/calendar; method=…`` alternative beside
  the text and HTML (what Gmail and Outlook read as an invitation, with its buttons), and an
  ``invite.ics`` attachment for the others. Providers' HTTP APIs accept no third
  alternative, so through them only the attachment goes (``EMAIL_CALENDAR_ALTERNATIVE``).
- Messages a person may stop (everything but their own sign-up link and the notice about
  their data) carry ``List-Unsubscribe`` with the one-click ``List-Unsubscribe-Post`` of
  RFC 8058: mail clients then offer "Unsubscribe", which POSTs to the signed link.
- The provider is told the schema and the row (``metadata``) and the kind (``tags``): its
  bounce and complaint webhooks come back with them (``deliverability``).
"""

from __future__ import annotations

import hashlib
import re
from email.mime.base import MIMEBase
from email.utils import parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import SafeMIMEText
from django.urls import reverse
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from billing.codes import Option
from billing.entitlements import entitlements_for
from core.i18n import LANGUAGES
from core.tenancy import current_organisation
from tenants.email_html import FULLMOBS_GREEN, Brand, email_html
from tenants.models import Organisation

from .. import links
from ..models import EmailKind, OutboundEmail

# The sign-up link the person just asked for, and the notice about their own data, are not
# messages one unsubscribes from (the second reaches people who did).
StrOrPromise = str | Promise
NOT_UNSUBSCRIBABLE = frozenset({EmailKind.ACCESS_LINK, EmailKind.RETENTION_WARNING})

# The words on the button, by kind; a kind not named here says "Open the page".
ACTION_LABELS: dict[str, StrOrPromise] = {
    EmailKind.INVITATION: _("Choose my slot"),
    EmailKind.PLEDGE_CONFIRMED: _("See my pledges"),
    EmailKind.PLEDGE_WAITLISTED: _("See my pledges"),
    EmailKind.PLEDGE_AWAITING: _("See my pledges"),
    EmailKind.PLEDGE_PROMOTED: _("See my pledges"),
    EmailKind.CAMPAIGN_SUCCEEDED: _("See my pledges"),
    EmailKind.REMINDER_D1: _("See my pledges"),
    EmailKind.REMINDER_D7: _("My invitation link"),
    EmailKind.THANK_YOU: _("Answer the survey"),
    EmailKind.FOLLOW_UP_SURVEY: _("Answer the survey"),
    EmailKind.IMPACT_RECAP: _("See the results"),
    EmailKind.ACCESS_LINK: _("See the action"),
    EmailKind.RETENTION_WARNING: _("Keep my data"),
}
DEFAULT_ACTION_LABEL = _("Open the page")
CALENDAR_METHOD_RE = re.compile(r"^METHOD:(REQUEST|CANCEL)\s*$", re.MULTILINE | re.IGNORECASE)


def email_brand(organisation: Organisation) -> Brand:
    """The organisation's logo and colour with the "branded space" option, else its name
    in Fullmobs' colours."""
    if not entitlements_for(organisation).allows(Option.BRANDED_SPACE):
        return Brand(name=organisation.name, colour=FULLMOBS_GREEN)
    logo_url = ""
    if organisation.logo:
        # The file's name in the address: a new logo is a new address, so caches refresh.
        version = hashlib.sha256((organisation.logo.name or "").encode()).hexdigest()[:12]
        logo_url = organisation.absolute_url(f"{reverse('brand_logo')}?v={version}")
    return Brand(name=organisation.name, colour=organisation.brand_colour,
                 logo_url=logo_url, by_fullmobs=False)


def calendar_method(calendar: str) -> str:
    """REQUEST or CANCEL, as the iCalendar text says (REQUEST if it names neither)."""
    match = CALENDAR_METHOD_RE.search(calendar)
    return match.group(1).upper() if match else "REQUEST"


def _calendar_part(calendar: str, method: str, *, attachment: bool) -> MIMEBase:
    part = SafeMIMEText(calendar, "calendar", "utf-8")
    part.set_param("method", method)
    if attachment:
        part.set_param("name", "invite.ics")
        part.add_header("Content-Disposition", "attachment", filename="invite.ics")
    return part


class _OutboundMessage(EmailMultiAlternatives):
    """Django writes ``text/<subtype>`` alternatives with a charset only; the calendar's
    ``method`` parameter must be there too."""

    calendar_method = "REQUEST"

    def _create_mime_attachment(self, content, mimetype):  # type: ignore[no-untyped-def]
        if mimetype == "text/calendar":
            return _calendar_part(content, self.calendar_method, attachment=False)
        return super()._create_mime_attachment(  # type: ignore[misc]  # not in the stubs
            content, mimetype)


def email_language(email: OutboundEmail, organisation: Organisation) -> str:
    for code in (email.language,
                 email.participant.language if email.participant is not None else "",
                 organisation.locale):
        if code and code[:2] in LANGUAGES:
            return code[:2]
    return LANGUAGES[0]


def outbound_message(email: OutboundEmail) -> EmailMultiAlternatives:
    """The e-mail of one outbox row (see the module docstring)."""
    organisation: Organisation = current_organisation()
    schema = organisation.schema_name
    # One Message-ID per row, the same at every attempt: a copy sent again after a lost
    # final reply from the server (docs/reliability.md) is the same message to mail clients.
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "fullmobs"
    headers = {"Message-ID": f"<outbox.{schema}.{email.pk}@{domain}>"}
    if email.participant is not None and email.kind not in NOT_UNSUBSCRIBABLE:
        headers["List-Unsubscribe"] = f"<{links.unsubscribe_url(email.participant)}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    language = email_language(email, organisation)
    with translation.override(language):
        label = str(ACTION_LABELS.get(email.kind, DEFAULT_ACTION_LABEL))
        html = email_html(subject=email.subject, body=email.body, language=language,
                          brand=email_brand(organisation), action_url=email.action_url,
                          action_label=label)
    message = _OutboundMessage(subject=email.subject, body=email.body,
                               from_email=settings.DEFAULT_FROM_EMAIL, to=[email.to_email],
                               headers=headers)
    message.attach_alternative(html, "text/html")
    if email.calendar:
        method = calendar_method(email.calendar)
        message.calendar_method = method
        if settings.EMAIL_CALENDAR_ALTERNATIVE:
            message.attach_alternative(email.calendar, "text/calendar")
        message.attach(_calendar_part(email.calendar, method, attachment=True))
    # Read by django-anymail's backends (ignored by SMTP): they come back in the webhooks.
    message.metadata = {"schema": schema, "outbox": str(email.pk)}  # type: ignore[attr-defined]
    message.tags = [email.kind]  # type: ignore[attr-defined]
    return message
