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
    text = _text(obj, field, lang)
    if not text.is_fallback:
        return format_html("{}", text.text)
    return format_html('<span lang="{}">{}</span> <small class="lang-note">({})</small>',
                       text.language, text.text, text.note)


def localized_markdown(obj: object, field: str, lang: str | None = None) -> SafeString:
    """A Markdown text (a description, a commentary), sanitised like any other
    (``render_markdown``): the note first, then the text in its language."""
    text = _text(obj, field, lang)
    html = render_markdown(text.text)
    if not text.is_fallback:
        return html
    return format_html('<p class="lang-note"><small>({})</small></p><div lang="{}">{}</div>',
                       text.note, text.language, html)
