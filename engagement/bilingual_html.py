"""How a page or a PDF shows a bilingual text (``engagement.bilingual``): as is in the
reader's language; otherwise the other language's text inside an element carrying its
``lang`` (screen readers switch voice, browsers hyphenate right) and a short note in the
reader's language, "(in French)" / "(en anglais)"."""

from __future__ import annotations

from django.utils.html import format_html
from django.utils.safestring import SafeString

from .bilingual import LocalizedText, localized
from .markdown import render_markdown


def _text(obj: object, field: str, lang: str | None) -> LocalizedText:
    return localized(obj, field, lang)


def localized_html(obj: object, field: str, lang: str | None = None) -> SafeString:
    """A one-line text (a title, a name), escaped."""
    return localized_text_html(_text(obj, field, lang))


def localized_text_html(text: LocalizedText) -> SafeString:
    """A one-line text already read in the reader's language, escaped, marked when it is
    the other language's."""
    if not text.is_fallback:
        return format_html("{}", text.text)
    return format_html('<span lang="{}">{}</span> <small class="lang-note">({})</small>',
                       text.language, text.text, text.note)


def other_language_summary(obj: object, field: str, label: str,
                           lang: str | None = None) -> SafeString:
    """For organisers, who see both: beside the text in the page's language, the other
    one ("Title in English: …"); or, when a language has no text yet (the page then shows
    the other one, marked), that it is missing and what its readers see instead."""
    from django.utils.translation import gettext as _

    from core.i18n import language, other

    from .bilingual import text_in

    page = language(lang)
    wanted = page if not text_in(obj, field, page).strip() else other(page)
    heading = (_("%(field)s in French") if wanted == "fr"
               else _("%(field)s in English")) % {"field": label}
    text = text_in(obj, field, wanted)
    if text.strip():
        return format_html(_("{heading}: {text}"), heading=heading,
                           text=format_html('<span lang="{}">{}</span>', wanted, text))
    missing = (_("not written yet; people who read French see the English text, marked as "
                 "such.") if wanted == "fr" else
               _("not written yet; people who read English see the French text, marked as "
                 "such."))
    return format_html(_("{heading}: {text}"), heading=heading, text=missing)


def localized_markdown(obj: object, field: str, lang: str | None = None) -> SafeString:
    """A Markdown text (a description, a commentary), sanitised like any other
    (``render_markdown``): the note first, then the text in its language."""
    text = _text(obj, field, lang)
    html = render_markdown(text.text)
    if not text.is_fallback:
        return html
    return format_html('<p class="lang-note"><small>({})</small></p><div lang="{}">{}</div>',
                       text.note, text.language, html)
