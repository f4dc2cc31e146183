from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from methodology.document import PLACEHOLDER_RE

register = template.Library()


@register.filter
def tr(obj, name: str) -> str:
    """``{{ step|tr:"title" }}``: the field in the active language (see Bilingual.tr)."""
    return obj.tr(name)


# What each placeholder of a message stands for, as an organiser reads it on a programme
# page (the message is shown before it is sent: "{campaign_title}" means nothing to them).
PLACEHOLDER_LABELS = {
    "organisation_name": _("your organisation's name"),
    "programme_name": _("the programme's name"),
    "campaign_title": _("the campaign's title"),
    "participant_first_name": _("the person's first name"),
    "action_date": _("the date of the action"),
    "action_time": _("the time of the action"),
    "place": _("the place"),
    "target": _("the target"),
    "participants_count": _("the number of people mobilised"),
    "spots_left": _("the places left"),
    "deadline": _("the mobilisation deadline"),
    "link": _("the campaign's link"),
    "hours_given": _("the person's hours given"),
    "total_hours": _("everyone's hours given"),
    "impact_summary": _("the impact measured"),
    "survey_link": _("the survey's link"),
    "unsubscribe_link": _("the unsubscribe link"),
    "inviter_first_name": _("the first name of who invites"),
}


@register.filter
def readable_placeholders(text: str):
    """A message's text with each ``{placeholder}`` shown as what it stands for, marked."""
    def label(match) -> str:
        shown = PLACEHOLDER_LABELS.get(match.group(1))
        return f"<mark>[{escape(shown)}]</mark>" if shown else match.group(0)

    # Braces survive escaping, so the placeholders are found in the escaped text.
    return mark_safe(PLACEHOLDER_RE.sub(label, str(escape(text))))  # noqa: S308 - escaped
