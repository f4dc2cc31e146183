"""The product's two languages, and which one is active."""

from __future__ import annotations

from typing import Literal, TypeVar

from django.utils.translation import get_language

Language = Literal["fr", "en"]
LANGUAGES: tuple[Language, ...] = ("fr", "en")
T = TypeVar("T")


def language(code: str | None = None) -> Language:
    """``code`` (or the active language when none is given) as one of the product's two
    languages: anything French is ``"fr"``, everything else ``"en"``."""
    code = get_language() if code is None else code
    return "fr" if (code or "en").lower().startswith("fr") else "en"


def other(lang: Language) -> Language:
    return "en" if lang == "fr" else "fr"


def in_language(texts: dict[str, T], code: str | None = None) -> T:
    """The active language's entry of a ``{"fr": ..., "en": ...}`` pair."""
    return texts[language(code)]
