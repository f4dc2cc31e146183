from django import template
from django.utils.safestring import SafeString

from ..bilingual import localized
from ..bilingual_html import (
    localized_html,
    localized_markdown,
    localized_text_html,
    other_language_summary,
)
from ..markdown import render_markdown

register = template.Library()


@register.filter(name="localized")
def localized_filter(obj, field: str) -> SafeString:
    """``{{ campaign|localized:"title" }}``: the text in the reader's language; when only
    the other language's exists, that one in an element with its ``lang`` and a note
    "(in French)" / "(en anglais)" after it (``engagement.bilingual_html``)."""
    return localized_html(obj, field)


@register.filter
def challenge_name(challenge) -> SafeString:
    """A team challenge's name in the reader's language, or the French one marked as
    such (``TeamChallenge.localized_name``); escaped."""
    return localized_text_html(challenge.localized_name())


@register.filter
def localized_text(obj, field: str) -> str:
    """The plain text for a ``<title>``, an attribute or a plain-text e-mail: no markup,
    no note (a page title cannot carry one)."""
    return localized(obj, field).text


@register.filter(name="localized_markdown")
def localized_markdown_filter(obj, field: str) -> SafeString:
    """A Markdown text (a description, a commentary) in the reader's language, sanitised;
    the other language's after its note when that is all there is."""
    return localized_markdown(obj, field)


@register.simple_tag
def other_language(obj, field: str, label: str) -> SafeString:
    """``{% other_language campaign "title" _("Title") %}``: for organisers, the text in the
    other language than the page's, or that it is missing."""
    return other_language_summary(obj, field, label)


@register.filter
def markdown(text: str):
    return render_markdown(text)


@register.filter
def percent(value, total) -> int:
    try:
        return min(100, round(100 * int(value) / int(total))) if int(total) else 0
    except (TypeError, ValueError):
        return 0
