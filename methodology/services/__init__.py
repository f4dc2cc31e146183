"""Writes to the methodology library, one module per concern; import them from here."""

from .library import LoadReport, catalogue_load, library_load
from .publication import (
    TEXT_FIELDS,
    ChangeRow,
    OneLanguageChange,
    PublicationPreview,
    one_language_changes,
    publication_preview,
    readable_changes,
)
from .versions import (
    current_catalogue,
    draft_create,
    draft_update,
    template_create,
    version_publish,
)

__all__ = [
    "TEXT_FIELDS", "ChangeRow", "LoadReport", "OneLanguageChange", "PublicationPreview",
    "catalogue_load", "current_catalogue", "draft_create", "draft_update", "library_load",
    "one_language_changes", "publication_preview", "readable_changes", "template_create",
    "version_publish",
]
