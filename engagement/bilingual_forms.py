"""Forms for texts written in two languages: the main language's field keeps its name
(``title``), the other language's sits right after it (``title_en``), both labelled with
their language, so an organiser sees and edits both (``engagement.bilingual``)."""

from __future__ import annotations

import copy
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from core.i18n import other

from .bilingual import main_language, text_in, translation_key

LABELS = {"fr": _("%(field)s in French"), "en": _("%(field)s in English")}
HELP = {
    "fr": _("Optional. People who read French see it; without it they read the English "
            "text, marked as such."),
    "en": _("Optional. People who read English see it; without it they read the French "
            "text, marked as such."),
}


class BilingualFormMixin:
    """Add to a form, after each of ``translated_fields``, the same text in the other
    language than ``content_language``. ``translations()`` gives what was written, in
    the shape the services take, and ``main_data()`` the rest."""

    translated_fields: tuple[str, ...] = ()
    fields: dict[str, forms.Field]
    cleaned_data: dict[str, Any]
    changed_data: list[str]
    initial: Any

    def add_translation_fields(self, content_language: str, instance: object = None) -> None:
        self.content_language = main_language(content_language)
        self.other_language = other(self.content_language)
        order: list[str] = []
        for name, field in list(self.fields.items()):
            order.append(name)
            if name not in self.translated_fields:
                continue
            label = field.label or name
            field.label = LABELS[self.content_language] % {"field": label}
            twin = copy.deepcopy(field)
            twin.required = False
            twin.label = LABELS[self.other_language] % {"field": label}
            twin.help_text = HELP[self.other_language]
            twin.widget.attrs["lang"] = self.other_language
            field.widget.attrs["lang"] = self.content_language
            key = translation_key(name, self.other_language)
            self.fields[key] = twin
            order.append(key)
            if instance is not None:
                self.initial.setdefault(key, text_in(instance, name, self.other_language))
        self.fields = {name: self.fields[name] for name in order}

    def translation_keys(self) -> list[str]:
        return [translation_key(name, self.other_language) for name in self.translated_fields]

    def translations(self, *, only_changed: bool = False) -> dict[str, dict[str, str]]:
        texts = {name: self.cleaned_data.get(translation_key(name, self.other_language)) or ""
                 for name in self.translated_fields
                 if not only_changed
                 or translation_key(name, self.other_language) in self.changed_data}
        return {self.other_language: texts} if texts else {}

    def main_data(self, names: list[str] | None = None) -> dict[str, Any]:
        """``cleaned_data`` (or only ``names`` of it) without the translation fields."""
        keys = set(self.translation_keys())
        return {name: value for name, value in self.cleaned_data.items()
                if name not in keys and (names is None or name in names)}
