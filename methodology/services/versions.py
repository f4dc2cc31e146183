"""Template versions: a template created with its first draft, drafts saved and copied,
a complete draft published (from then on it never changes)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError

from .. import document
from ..models import (
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
from ..selectors import version_document

if TYPE_CHECKING:
    # django-stubs' stand-in for AUTH_USER_MODEL (tenants.User): methodology is below
    # tenants and imports nothing of it, not even for types.
    from django.contrib.auth.models import _User


def current_catalogue() -> document.Catalogue:
    return document.Catalogue(
        levers=set(Lever.objects.values_list("code", flat=True)),
        indicators=set(ImpactIndicator.objects.values_list("code", flat=True)),
    )


def _t(value: object, lang: str) -> str:
    text: str = ((value or {}).get(lang) or "").strip() if isinstance(value, dict) else ""
    return text


def _write_content(version: TemplateVersion, doc: dict[str, Any]) -> None:
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
        measure=question.get("measure") or "",
        text_fr=_t(question.get("text"), "fr"), text_en=_t(question.get("text"), "en"),
    ) for moment in document.SURVEY_MOMENTS
        for i, question in enumerate((doc.get("survey") or {}).get(moment) or []))


def _check_storable(doc: Any, *, expected_slug: str | None = None) -> document.Errors:
    errors = document.validate(doc, current_catalogue())
    if isinstance(doc, dict) and expected_slug and doc.get("slug") != expected_slug:
        errors.add("slug", _("The address of a template cannot change (it is “%(slug)s”).")
                   % {"slug": expected_slug})
    blocking = errors.blocking()
    if blocking:
        raise DomainError(blocking)
    return errors


def template_create(*, doc: dict[str, Any], user: _User | None = None) -> TemplateVersion:
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


def draft_update(*, version: TemplateVersion, doc: dict[str, Any]) -> document.Errors:
    """Save a draft's content. Returns what still stands in the way of publishing it."""
    if version.is_published:
        raise DomainError({"version": [_("A published version cannot be edited; create a "
                                         "new draft from it.")]})
    errors = _check_storable(doc, expected_slug=version.template.slug)
    with transaction.atomic():
        _write_content(version, doc)
    return errors


def draft_create(*, template: Template, user: _User | None = None) -> TemplateVersion:
    """The template's draft: the existing one, or a copy of its latest version."""
    with transaction.atomic():
        Template.objects.select_for_update().get(pk=template.pk)
        draft = template.versions.filter(status=TemplateVersion.Status.DRAFT).first()
        if draft is not None:
            return draft
        latest = template.versions.order_by("-number").first()
        assert latest is not None  # a template is created with its first version
        doc = version_document(latest)
        number = (template.versions.aggregate(n=Max("number"))["n"] or 0) + 1
        draft = TemplateVersion(template=template, number=number, based_on=latest,
                                created_by=user, audience=doc["audience"], theme=doc["theme"],
                                typical_duration_days=doc["typical_duration_days"],
                                default_participant_target=doc["default_participant_target"])
        _write_content(draft, doc)
    return draft


def version_publish(*, version: TemplateVersion, user: _User | None = None
                    ) -> TemplateVersion:
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
