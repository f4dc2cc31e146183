"""Content written in the product's two languages: campaign titles and descriptions,
programme names and descriptions, consultants' commentary.

The existing fields (``Campaign.title``, ``Programme.name``, ``Commentary.text``...) hold
the text in the row's ``content_language``: the organisation's language when the row was
made (``Organisation.locale`` may change later; the row keeps saying which language its
text is in). The other language's text, when someone wrote it, is in ``translations``:
``{"en": {"title": "...", "description": "..."}}``.

One way to read it: ``obj.localized("title")`` (or ``{{ campaign|localized:"title" }}``)
gives the text in the reader's language, or else the other one, marked as such, so a page
can say "(in French)" and carry a ``lang`` attribute."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.core.exceptions import ObjectDoesNotExist
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.i18n import LANGUAGES, Language, language, other
from core.tenancy import current_organisation, on_public_schema

# The name of each language in each language: the note beside a text in the other
# language reads "(in French)" on an English page and "(en anglais)" on a French one.
LANGUAGE_NAMES = {"fr": gettext_lazy("French"), "en": gettext_lazy("English")}
IN_LANGUAGE = {"fr": gettext_lazy("in French"), "en": gettext_lazy("in English")}
# A field's label on an organiser's form: the text in this language.
IN_LANGUAGE_LABEL = {"fr": gettext_lazy("In French"), "en": gettext_lazy("In English")}

Translations = dict[str, dict[str, str]]


@dataclass(frozen=True)
class LocalizedText:
    """A text as a reader gets it: ``language`` is the language it is written in; it is a
    fallback when that is not the language the reader wanted."""

    text: str
    language: Language
    wanted: Language

    @property
    def is_fallback(self) -> bool:
        return bool(self.text) and self.language != self.wanted

    @property
    def note(self) -> str:
        """"in French" / "en anglais", in the active language, for a fallback."""
        return str(IN_LANGUAGE[self.language]) if self.is_fallback else ""

    def __str__(self) -> str:
        return self.text


def main_language(code: str | None) -> Language:
    return "en" if code == "en" else "fr"


def organisation_language() -> str:
    """The current organisation's language: the language of a text written now."""
    if on_public_schema():
        return "fr"
    try:
        return main_language(current_organisation().locale)
    except ObjectDoesNotExist:  # a schema being migrated before its organisation exists
        return "fr"


def text_in(obj: object, field: str, lang: str) -> str:
    """The text of ``field`` written in ``lang`` ("" when nobody wrote it)."""
    main = main_language(getattr(obj, "content_language", "fr"))
    if language(lang) == main:
        return str(getattr(obj, field) or "")
    translations = getattr(obj, "translations", None) or {}
    return str((translations.get(language(lang)) or {}).get(field) or "")


def localized(obj: object, field: str, lang: str | None = None) -> LocalizedText:
    """``field`` of ``obj`` in ``lang`` (the active language by default), or the other
    language's text when that one is empty."""
    wanted = language(lang)
    text = text_in(obj, field, wanted)
    if text.strip():
        return LocalizedText(text, wanted, wanted)
    fallback = other(wanted)
    return LocalizedText(text_in(obj, field, fallback), fallback, wanted)


def translation_key(field: str, lang: str) -> str:
    """The name a form field, an API field and an error use for ``field`` in ``lang``."""
    return f"{field}_{lang}"


def translations_check(errors: dict[str, list[str]], *, content_language: str,
                       fields: Mapping[str, int | None],
                       translations: Mapping[str, object] | None,
                       current: Mapping[str, object] | None = None) -> Translations:
    """``translations`` checked and tidied, merged over ``current``: only the language
    other than ``content_language``, only the translatable ``fields`` (name → most
    characters, None for no limit), strings; a blank text removes that translation.
    What is wrong goes into ``errors`` under ``<field>_<language>`` (``title_en``), the
    name the forms and the API give that text."""
    main = main_language(content_language)
    merged: Translations = {}
    for lang, texts in (current or {}).items():
        if lang in LANGUAGES and isinstance(texts, Mapping):
            merged[lang] = {str(k): str(v) for k, v in texts.items() if isinstance(v, str)}
    for lang, texts in (translations or {}).items():
        if lang not in LANGUAGES:
            errors["translations"] = [_("Texts can be written in French or English only.")]
            continue
        if lang == main:
            errors["translations"] = [_("The text in the main language is written in its "
                                        "own field, not as a translation.")]
            continue
        if not isinstance(texts, Mapping):
            errors["translations"] = [_("Give the texts of a language as field names and "
                                        "texts.")]
            continue
        into = merged.setdefault(lang, {})
        for field, text in texts.items():
            key = translation_key(str(field), lang)
            if field not in fields:
                errors[key] = [_("This text cannot be translated.")]
            elif text is not None and not isinstance(text, str):
                errors[key] = [_("Write a text.")]
            elif (limit := fields[field]) is not None and len(text or "") > limit:
                errors[key] = [_("At most %(limit)d characters.") % {"limit": limit}]
            elif (text or "").strip():
                into[field] = (text or "").strip()
            else:
                into.pop(field, None)
    return {lang: texts for lang, texts in merged.items() if texts}


def content_language_check(errors: dict[str, list[str]], value: str | None) -> Language:
    """The language a new row's main texts are written in: ``value`` if given (fr or en),
    else the organisation's."""
    if value is None or value == "":
        return main_language(organisation_language())
    if value not in LANGUAGES:
        errors["content_language"] = [_("Choose “fr” or “en”.")]
        return "fr"
    return main_language(value)


def translations_from_flat(data: Mapping[str, object], *, content_language: str,
                           fields: Iterable[str]) -> dict[str, dict[str, object]]:
    """``{"title_en": ...}`` keys (forms, API) as ``{"en": {"title": ...}}`` for the
    language other than ``content_language``; keys absent from ``data`` are left out."""
    lang = other(main_language(content_language))
    texts = {field: data[translation_key(field, lang)] for field in fields
             if translation_key(field, lang) in data}
    return {lang: texts} if texts else {}
