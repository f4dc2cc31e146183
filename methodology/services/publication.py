"""Before publishing a draft: what it changes since the last published version, in words a
consultant reads, and the texts changed in one language only."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from core.i18n import language

from .. import document
from ..diff import Change, diff_documents
from ..models import (
    Audience,
    ImpactIndicator,
    Lever,
    OwnerRole,
    PhaseCode,
    QuestionKind,
    SurveyMoment,
    TemplateVersion,
    Theme,
)
from ..selectors import version_document, versions_with_content
from .versions import current_catalogue

TEXT_FIELDS = ("title", "summary", "description", "guidance", "note", "subject", "body")


@dataclass
class OneLanguageChange:
    """A client-facing text changed in one language only since the last published
    version: often a translation forgotten."""
    where: str
    changed: str  # "fr" or "en"

    @property
    def message(self) -> str:
        if self.changed == "fr":
            return _("%(where)s: the French text changed, the English did not.") % {
                "where": self.where}
        return _("%(where)s: the English text changed, the French did not.") % {
            "where": self.where}


@dataclass
class PublicationPreview:
    version: TemplateVersion
    previous: TemplateVersion | None
    changes: list[ChangeRow]
    one_language: list[OneLanguageChange]
    issues: dict[str, list[str]]


def _field_label(name: str) -> str:
    return {"title": _("title"), "summary": _("summary"), "description": _("description"),
            "guidance": _("guidance"), "note": _("note"), "subject": _("subject"),
            "body": _("body"), "text": _("question")}.get(name, name)


def one_language_changes(old: dict[str, Any], new: dict[str, Any]
                         ) -> list[OneLanguageChange]:
    """Texts of ``new`` whose French changed and English did not, or the reverse, compared
    with ``old`` (both canonical documents)."""
    found: list[OneLanguageChange] = []

    def check(where: str, before: Any, after: Any) -> None:
        if not (isinstance(before, dict) and isinstance(after, dict)):
            return
        fr = (before.get("fr") or "") != (after.get("fr") or "")
        en = (before.get("en") or "") != (after.get("en") or "")
        if fr != en:
            found.append(OneLanguageChange(where, "fr" if fr else "en"))

    for change in diff_documents(old, new):
        if change.action != "changed":
            continue
        if change.field in TEXT_FIELDS:
            label = change.label_text
            if change.section == "lever":
                lever = Lever.objects.filter(code=change.item).first()
                label = lever.tr("name") if lever else label
            check(_("%(section)s “%(label)s”, %(field)s") % {
                "section": change.section_label, "label": label,
                "field": _field_label(change.field)}, change.before, change.after)
        elif change.section == "survey":
            for i, (a, b) in enumerate(zip(change.before or [], change.after or [],
                                           strict=False)):
                check(_("Survey question %(n)s") % {"n": i + 1}, a.get("text"), b.get("text"))
    return found


def publication_preview(*, version: TemplateVersion) -> PublicationPreview:
    """What publishing this draft would change, what may have been forgotten in one
    language, and what still stands in the way."""
    new = version_document(version)
    previous = versions_with_content().filter(
        template=version.template, status=TemplateVersion.Status.PUBLISHED,
        number__lt=version.number).order_by("-number").first()
    changes: list[ChangeRow] = []
    one_language: list[OneLanguageChange] = []
    if previous is not None:
        old = version_document(previous)
        changes = readable_changes(diff_documents(old, new))
        one_language = one_language_changes(old, new)
    issues = dict(document.validate(new, current_catalogue()))
    return PublicationPreview(version, previous, changes, one_language, issues)


@dataclass
class ChangeRow:
    """One change as a person reads it: names instead of codes, values in their language."""
    action: str
    section_label: str
    label_text: str
    field: str | None
    field_label: str
    before_text: str
    after_text: str


def readable_changes(changes: list[Change]) -> list[ChangeRow]:
    lang = language()
    levers = {lever.code: lever.tr("name") for lever in Lever.objects.all()}
    indicators = {item.code: item.tr("label") for item in ImpactIndicator.objects.all()}
    choices = {**dict(Audience.choices), **dict(Theme.choices), **dict(OwnerRole.choices),
               **dict(PhaseCode.choices), **dict(SurveyMoment.choices),
               **dict(QuestionKind.choices)}
    field_labels: dict[str | None, str] = {
        "title": _("Title"), "summary": _("Summary"), "description": _("Description"),
        "guidance": _("Guidance"), "note": _("Note"), "subject": _("Subject"),
        "body": _("Body"), "owner_role": _("Owner"), "due_offset_days": _("Due"),
        "phase": _("Phase"), "audience": _("Audience"), "theme": _("Theme"),
        "typical_duration_days": _("Typical duration (days)"),
        "default_participant_target": _("Suggested participant target"),
        "sdgs": _("UN Sustainable Development Goals"),
        "target_per_participant": _("Target per participant"), "questions": _("Questions"),
    }

    def show(value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, dict) and set(value) == {"fr", "en"}:
            text: str = value[lang]
            return text
        if isinstance(value, list):
            return " / ".join(show(item.get("text")) if isinstance(item, dict) else str(item)
                              for item in value)
        if isinstance(value, str) and value in choices:
            return str(choices[value])
        return str(value)

    rows: list[ChangeRow] = []
    for change in changes:
        if change.section == "lever":
            label = levers.get(change.item, change.item)
        elif change.section == "indicator":
            label = indicators.get(change.item, change.item)
        elif change.section == "survey":
            label = str(choices.get(change.item, change.item))
        else:
            label = change.label_text
        rows.append(ChangeRow(
            change.action, change.section_label, label, change.field,
            str(field_labels.get(change.field, change.field or "")),
            show(change.before) if change.field else "",
            show(change.after) if change.field else ""))
    return rows
