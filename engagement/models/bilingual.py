"""The two fields a text written in two languages adds to its model (see
``engagement.bilingual``), and the one way to read it."""

from __future__ import annotations

from django.db import models
from django.db.models import Func, Q, Value
from django.db.models.lookups import Exact
from django.utils.translation import gettext_lazy as _

from core.i18n import LANGUAGES

from ..bilingual import (
    LANGUAGE_NAMES,
    LocalizedText,
    localized,
    organisation_language,
    text_in,
)

LANGUAGE_CHOICES = [(code, LANGUAGE_NAMES[code]) for code in LANGUAGES]


class BilingualContent(models.Model):
    """A model whose client-facing texts (``TRANSLATED_FIELDS``, name → most characters)
    are written in ``content_language`` and may have a translation into the other.

    The column defaults (``db_default``) serve rows written in SQL (the benchmarks); rows
    made through Django take the organisation's language."""

    TRANSLATED_FIELDS: dict[str, int | None] = {}

    content_language = models.CharField(
        _("language of the texts"), max_length=2, choices=LANGUAGE_CHOICES,
        default=organisation_language, db_default="fr")
    translations = models.JSONField(_("translations"), default=dict, db_default={},
                                    blank=True)

    class Meta:
        abstract = True

    def localized(self, field: str, lang: str | None = None) -> LocalizedText:
        """``field`` in ``lang`` (the active language by default), or the other language's
        text, marked as a fallback, when nobody wrote it in ``lang``."""
        return localized(self, field, lang)

    def text_in(self, field: str, lang: str) -> str:
        return text_in(self, field, lang)


def bilingual_constraints(prefix: str) -> list[models.CheckConstraint]:
    """What the database holds of every bilingual row: a known language, and
    translations stored as an object (``{"en": {...}}``), never a list or a string."""
    return [
        models.CheckConstraint(condition=Q(content_language__in=LANGUAGES),
                               name=f"{prefix}_content_language_known"),
        models.CheckConstraint(
            condition=Exact(Func("translations", function="jsonb_typeof",
                                 output_field=models.CharField()), Value("object")),
            name=f"{prefix}_translations_object"),
    ]
