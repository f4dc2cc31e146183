"""Texts written in two languages, through the API: ``title_fr`` and ``title_en`` (and
the like) read and write each language; ``title`` stays the text in the row's
``content_language``, so clients that know only it keep working."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.errors import DomainError
from core.i18n import LANGUAGES, other

from ..bilingual import main_language, text_in, translation_key


@extend_schema_field(OpenApiTypes.STR)
class TextInLanguageField(serializers.Field):
    """``<field>_<lang>``: the text of ``field`` written in ``lang`` ("" when nobody
    wrote it; the other language's is not filled in here, unlike on pages)."""

    def __init__(self, field: str, lang: str, max_length: int | None = None, **kwargs: Any):
        self.text_field, self.lang, self.max_length = field, lang, max_length
        language = "French" if lang == "fr" else "English"
        kwargs.setdefault("help_text", f"The {field} in {language} (empty when not written).")
        super().__init__(source="*", required=False, **kwargs)

    def to_representation(self, value: object) -> str:
        return text_in(value, self.text_field, self.lang)

    def to_internal_value(self, data: object) -> dict[str, str]:
        if data is None:
            data = ""
        if not isinstance(data, str):
            raise serializers.ValidationError(_("Write a text."))
        if self.max_length is not None and len(data) > self.max_length:
            raise serializers.ValidationError(
                _("At most %(limit)d characters.") % {"limit": self.max_length})
        if "\x00" in data:
            raise serializers.ValidationError(_("Write a text."))
        return {translation_key(self.text_field, self.lang): data}

    def get_attribute(self, instance: object) -> object:
        return instance


def bilingual_fields(fields: dict[str, int | None]) -> dict[str, TextInLanguageField]:
    """The ``<field>_<lang>`` fields of a serializer, for each text and language."""
    return {translation_key(name, lang): TextInLanguageField(name, lang, limit)
            for name, limit in fields.items() for lang in LANGUAGES}


def bilingual_split(data: dict[str, Any], *, content_language: str,
                    fields: dict[str, int | None]) -> dict[str, Any]:
    """``data`` with its ``<field>_<lang>`` keys turned into what the services take: the
    main language's into ``<field>``, the other's into ``translations``. Giving ``title``
    and a different ``title_<main language>`` is refused, naming both."""
    main = main_language(content_language)
    out = dict(data)
    translations: dict[str, str] = {}
    errors: dict[str, list[str]] = {}
    for name in fields:
        main_key, other_key = translation_key(name, main), translation_key(name, other(main))
        if main_key in out:
            text = out.pop(main_key)
            if name in out and out[name] != text:
                errors[main_key] = [_("Give either “%(a)s” or “%(b)s”, or the same text in "
                                      "both.") % {"a": name, "b": main_key}]
            out[name] = text
        if other_key in out:
            translations[name] = out.pop(other_key)
    if errors:
        raise DomainError(errors)
    if translations:
        out["translations"] = {other(main): translations}
    return out
