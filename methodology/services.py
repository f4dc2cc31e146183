"""Writes to the methodology library: catalogue and template loading, drafts, publication."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.i18n import language

from . import document
from .models import (
    ImpactIndicator,
    Lever,
    MessageTemplate,
    Phase,
    Step,
    SurveyQuestion,
    Template,
    TemplateIndicator,
    TemplateLever,
    TemplateVersion,
)
from .selectors import version_document, versions_with_content


def current_catalogue() -> document.Catalogue:
    return document.Catalogue(
        levers=set(Lever.objects.values_list("code", flat=True)),
        indicators=set(ImpactIndicator.objects.values_list("code", flat=True)),
    )


# ---- catalogue -----------------------------------------------------------------------------

@dataclass
class LoadReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        return ([f"created   {name}" for name in self.created]
                + [f"updated   {name}" for name in self.updated]
                + [f"skipped   {name}" for name in self.skipped]
                + [f"unchanged {name}" for name in self.unchanged])


def _upsert(model, code: str, values: dict, report: LoadReport, label: str) -> None:
    obj = model.objects.filter(code=code).first()
    if obj is None:
        model.objects.create(code=code, **values)
        report.created.append(f"{label} {code}")
    elif any(getattr(obj, key) != value for key, value in values.items()):
        for key, value in values.items():
            setattr(obj, key, value)
        obj.save(update_fields=list(values))
        report.updated.append(f"{label} {code}")
    else:
        report.unchanged.append(f"{label} {code}")


def catalogue_load(*, data: dict, report: LoadReport) -> None:
    for item in data.get("levers", []):
        _upsert(Lever, item["code"], {
            "name_fr": item["name"]["fr"], "name_en": item["name"]["en"],
            "description_fr": item["description"]["fr"].strip(),
            "description_en": item["description"]["en"].strip(),
            "audiences": list(item["audiences"]),
        }, report, "lever")
    for item in data.get("indicators", []):
        _upsert(ImpactIndicator, item["code"], {
            "unit": item["unit"], "sdg": item["sdg"],
            "label_fr": item["label"]["fr"], "label_en": item["label"]["en"],
        }, report, "indicator")


# ---- versions ------------------------------------------------------------------------------

def _t(value, lang: str) -> str:
    return ((value or {}).get(lang) or "").strip() if isinstance(value, dict) else ""


def _write_content(version: TemplateVersion, doc: dict) -> None:
    """Replace a draft's content with the document's (the draft is still mutable)."""
    if version.pk:
        version.phases.all().delete()
        version.levers.all().delete()
        version.messages.all().delete()
        version.indicators.all().delete()
        version.survey_questions.all().delete()
    version.title_fr, version.title_en = _t(doc.get("title"), "fr"), _t(doc.get("title"), "en")
    version.summary_fr = _t(doc.get("summary"), "fr")
    version.summary_en = _t(doc.get("summary"), "en")
    version.audience = doc["audience"]
    version.theme = doc["theme"]
    version.typical_duration_days = doc["typical_duration_days"]
    version.default_participant_target = doc["default_participant_target"]
    version.sdgs = list(doc.get("sdgs") or [])
    version.save()
    for p, phase_doc in enumerate(doc.get("phases") or []):
        phase = Phase.objects.create(
            version=version, position=p, code=phase_doc["code"],
            title_fr=_t(phase_doc.get("title"), "fr"), title_en=_t(phase_doc.get("title"), "en"),
            description_fr=_t(phase_doc.get("description"), "fr"),
            description_en=_t(phase_doc.get("description"), "en"))
        Step.objects.bulk_create(Step(
            phase=phase, position=s, key=step["key"], owner_role=step["owner_role"],
            due_offset_days=step["due_offset_days"],
            title_fr=_t(step.get("title"), "fr"), title_en=_t(step.get("title"), "en"),
            guidance_fr=_t(step.get("guidance"), "fr"),
            guidance_en=_t(step.get("guidance"), "en"),
        ) for s, step in enumerate(phase_doc.get("steps") or []))
    levers = {lever.code: lever for lever in Lever.objects.all()}
    TemplateLever.objects.bulk_create(TemplateLever(
        version=version, lever=levers[item["code"]], position=i,
        note_fr=_t(item.get("note"), "fr"), note_en=_t(item.get("note"), "en"),
    ) for i, item in enumerate(doc.get("levers") or []))
    MessageTemplate.objects.bulk_create(MessageTemplate(
        version=version, kind=kind,
        subject_fr=_t(message.get("subject"), "fr"), subject_en=_t(message.get("subject"), "en"),
        body_fr=_t(message.get("body"), "fr"), body_en=_t(message.get("body"), "en"),
    ) for kind, message in (doc.get("messages") or {}).items() if isinstance(message, dict))
    indicators = {indicator.code: indicator for indicator in ImpactIndicator.objects.all()}
    TemplateIndicator.objects.bulk_create(TemplateIndicator(
        version=version, indicator=indicators[item["code"]], position=i,
        target_per_participant=item.get("target_per_participant"),
    ) for i, item in enumerate(doc.get("indicators") or []))
    SurveyQuestion.objects.bulk_create(SurveyQuestion(
        version=version, moment=moment, position=i, kind=question["kind"],
        text_fr=_t(question.get("text"), "fr"), text_en=_t(question.get("text"), "en"),
    ) for moment in document.SURVEY_MOMENTS
        for i, question in enumerate((doc.get("survey") or {}).get(moment) or []))


def _check_storable(doc, *, expected_slug: str | None = None) -> document.Errors:
    errors = document.validate(doc, current_catalogue())
    if isinstance(doc, dict) and expected_slug and doc.get("slug") != expected_slug:
        errors.add("slug", _("The address of a template cannot change (it is “%(slug)s”).")
                   % {"slug": expected_slug})
    blocking = errors.blocking()
    if blocking:
        raise DomainError(blocking)
    return errors


def template_create(*, doc: dict, user=None) -> TemplateVersion:
    """A new template with its first draft version."""
    _check_storable(doc)
    if Template.objects.filter(slug=doc["slug"]).exists():
        raise DomainError({"slug": [_("A template with this address already exists.")]})
    with transaction.atomic():
        template = Template.objects.create(slug=doc["slug"], created_by=user)
        version = TemplateVersion(template=template, number=1, created_by=user,
                                  audience=doc["audience"], theme=doc["theme"],
                                  typical_duration_days=doc["typical_duration_days"],
                                  default_participant_target=doc["default_participant_target"])
        _write_content(version, doc)
    return version


def draft_update(*, version: TemplateVersion, doc: dict) -> document.Errors:
    """Save a draft's content. Returns what still stands in the way of publishing it."""
    if version.is_published:
        raise DomainError({"version": [_("A published version cannot be edited; create a "
                                         "new draft from it.")]})
    errors = _check_storable(doc, expected_slug=version.template.slug)
    with transaction.atomic():
        _write_content(version, doc)
    return errors


def draft_create(*, template: Template, user=None) -> TemplateVersion:
    """The template's draft: the existing one, or a copy of its latest version."""
    with transaction.atomic():
        Template.objects.select_for_update().get(pk=template.pk)
        draft = template.versions.filter(status=TemplateVersion.Status.DRAFT).first()
        if draft is not None:
            return draft
        latest = template.versions.order_by("-number").first()
        doc = version_document(latest)
        number = (template.versions.aggregate(n=Max("number"))["n"] or 0) + 1
        draft = TemplateVersion(template=template, number=number, based_on=latest,
                                created_by=user, audience=doc["audience"], theme=doc["theme"],
                                typical_duration_days=doc["typical_duration_days"],
                                default_participant_target=doc["default_participant_target"])
        _write_content(draft, doc)
    return draft


def version_publish(*, version: TemplateVersion, user=None) -> TemplateVersion:
    """Publish a draft once it is complete; from then on it never changes."""
    with transaction.atomic():
        version = TemplateVersion.objects.select_for_update().get(pk=version.pk)
        if version.is_published:
            raise DomainError({"version": [_("This version is already published.")]})
        errors = document.validate(version_document(version), current_catalogue())
        if errors:
            raise DomainError(dict(errors))
        version.status = TemplateVersion.Status.PUBLISHED
        version.published_at = timezone.now()
        version.published_by = user
        version.save(update_fields=["status", "published_at", "published_by"])
    return version


# ---- before publishing -----------------------------------------------------------------

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
    changes: list
    one_language: list[OneLanguageChange]
    issues: dict[str, list[str]]


def _field_label(name: str) -> str:
    return {"title": _("title"), "summary": _("summary"), "description": _("description"),
            "guidance": _("guidance"), "note": _("note"), "subject": _("subject"),
            "body": _("body"), "text": _("question")}.get(name, name)


def one_language_changes(old: dict, new: dict) -> list[OneLanguageChange]:
    """Texts of ``new`` whose French changed and English did not, or the reverse, compared
    with ``old`` (both canonical documents)."""
    from .diff import diff_documents

    found = []

    def check(where: str, before, after) -> None:
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
    from .diff import diff_documents

    new = version_document(version)
    previous = versions_with_content().filter(
        template=version.template, status=TemplateVersion.Status.PUBLISHED,
        number__lt=version.number).order_by("-number").first()
    changes, one_language = [], []
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


def readable_changes(changes: list) -> list[ChangeRow]:

    from .models import Audience, OwnerRole, PhaseCode, QuestionKind, SurveyMoment, Theme

    lang = language()
    levers = {lever.code: lever.tr("name") for lever in Lever.objects.all()}
    indicators = {item.code: item.tr("label") for item in ImpactIndicator.objects.all()}
    choices = {**dict(Audience.choices), **dict(Theme.choices), **dict(OwnerRole.choices),
               **dict(PhaseCode.choices), **dict(SurveyMoment.choices),
               **dict(QuestionKind.choices)}
    field_labels = {
        "title": _("Title"), "summary": _("Summary"), "description": _("Description"),
        "guidance": _("Guidance"), "note": _("Note"), "subject": _("Subject"),
        "body": _("Body"), "owner_role": _("Owner"), "due_offset_days": _("Due"),
        "phase": _("Phase"), "audience": _("Audience"), "theme": _("Theme"),
        "typical_duration_days": _("Typical duration (days)"),
        "default_participant_target": _("Suggested participant target"),
        "sdgs": _("UN Sustainable Development Goals"),
        "target_per_participant": _("Target per participant"), "questions": _("Questions"),
    }

    def show(value) -> str:
        if value is None:
            return ""
        if isinstance(value, dict) and set(value) == {"fr", "en"}:
            return value[lang]
        if isinstance(value, list):
            return " / ".join(show(item.get("text")) if isinstance(item, dict) else str(item)
                              for item in value)
        if isinstance(value, str) and value in choices:
            return str(choices[value])
        return str(value)

    rows = []
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


# ---- the shipped library -------------------------------------------------------------------

def library_load(*, directory: Path = document.LIBRARY_DIR) -> LoadReport:
    """Load the catalogue and every template file, publishing a new version of a template
    only when its file differs from the latest published version. All or nothing: one
    invalid file and nothing is written."""
    report = LoadReport()
    errors: dict[str, list[str]] = {}
    with transaction.atomic():
        catalogue_load(data=document.load_yaml(
            (directory / "catalogue.yaml").read_text(encoding="utf-8")), report=report)
        for path in sorted((directory / "templates").glob("*.yaml")):
            try:
                doc = document.load_yaml(path.read_text(encoding="utf-8"))
            except ValueError as exc:
                errors[path.name] = [str(exc)]
                continue
            problems = document.validate(doc, current_catalogue())
            if problems:
                errors.update({f"{path.name}: {where}": messages
                               for where, messages in problems.items()})
                continue
            _load_template(doc, report)
        if errors:
            transaction.set_rollback(True)
            raise DomainError(errors)
    return report


def _load_template(doc: dict, report: LoadReport) -> None:
    template = Template.objects.filter(slug=doc["slug"]).first()
    if template is None:
        version_publish(version=template_create(doc=doc))
        report.created.append(f"template {doc['slug']} v1")
        return
    # A file equal to any published version is already in the library (consultants may
    # have published newer versions since; the file does not undo them).
    wanted = document.canonical(doc)
    for version in versions_with_content().filter(
            template=template, status=TemplateVersion.Status.PUBLISHED).order_by("-number"):
        if version_document(version) == wanted:
            report.unchanged.append(f"template {doc['slug']} v{version.number}")
            return
    if template.versions.filter(status=TemplateVersion.Status.DRAFT).exists():
        # Never overwrite a consultant's work in progress.
        report.skipped.append(f"template {doc['slug']}: a draft is being edited in the console")
        return
    draft = draft_create(template=template)
    draft_update(version=draft, doc=doc)
    version_publish(version=draft)
    report.updated.append(f"template {doc['slug']} v{draft.number}")
