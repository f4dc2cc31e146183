"""Reads of the methodology library shared by pages, API, services and engagement."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Prefetch, QuerySet

from . import document
from .models import (
    Phase,
    Step,
    Template,
    TemplateIndicator,
    TemplateLever,
    TemplateVersion,
)


def _pair(obj: Any, name: str) -> dict[str, str]:
    return {"fr": getattr(obj, f"{name}_fr"), "en": getattr(obj, f"{name}_en")}


def versions_with_content() -> QuerySet[TemplateVersion]:
    return TemplateVersion.objects.select_related("template").prefetch_related(
        Prefetch("phases", queryset=Phase.objects.prefetch_related(
            Prefetch("steps", queryset=Step.objects.order_by("position")))),
        Prefetch("levers", queryset=TemplateLever.objects.select_related("lever")),
        "messages",
        Prefetch("indicators", queryset=TemplateIndicator.objects.select_related("indicator")),
        "survey_questions",
    )


def version_document(version: TemplateVersion) -> dict[str, Any]:
    """The version as a canonical template document (see methodology/document.py)."""
    doc = {
        "slug": version.template.slug,
        "audience": version.audience,
        "theme": version.theme,
        "typical_duration_days": version.typical_duration_days,
        "default_participant_target": version.default_participant_target,
        "sdgs": list(version.sdgs),
        "title": _pair(version, "title"),
        "summary": _pair(version, "summary"),
        "phases": [{
            "code": phase.code,
            "title": _pair(phase, "title"),
            "description": _pair(phase, "description"),
            "steps": [{
                "key": step.key, "title": _pair(step, "title"),
                "guidance": _pair(step, "guidance"), "owner_role": step.owner_role,
                "due_offset_days": step.due_offset_days,
            } for step in phase.steps.all()],
        } for phase in version.phases.all()],
        "levers": [{"code": item.lever.code, "note": _pair(item, "note")}
                   for item in version.levers.all()],
        "messages": {message.kind: {"subject": _pair(message, "subject"),
                                    "body": _pair(message, "body")}
                     for message in version.messages.all()},
        "indicators": [{"code": item.indicator.code,
                        "target_per_participant": item.target_per_participant}
                       for item in version.indicators.all()],
        "survey": {moment: [{"kind": q.kind, "text": _pair(q, "text"),
                             **({"measure": q.measure} if q.measure else {})}
                            for q in version.survey_questions.all() if q.moment == moment]
                   for moment in document.SURVEY_MOMENTS},
    }
    return document.canonical(doc)


def latest_published_versions() -> QuerySet[TemplateVersion]:
    """The latest published version of each template, as a queryset that filters on that
    version's fields (not on the latest version among those matching)."""
    latest = (TemplateVersion.objects.filter(status=TemplateVersion.Status.PUBLISHED)
              .order_by("template_id", "-number").distinct("template_id"))
    return TemplateVersion.objects.filter(pk__in=latest.values("pk")).select_related("template")


def by_title(versions: Iterable[TemplateVersion]) -> list[TemplateVersion]:
    """Versions in the order of their titles, in the reader's language."""
    return sorted(versions, key=lambda v: v.tr("title").lower())


def published_templates(*, audience: str | None = None, theme: str | None = None
                        ) -> list[TemplateVersion]:
    """The latest published version of each template, filtered on that version's fields."""
    versions = latest_published_versions()
    if audience:
        versions = versions.filter(audience=audience)
    if theme:
        versions = versions.filter(theme=theme)
    return by_title(versions)


def published_version(pk: int) -> TemplateVersion | None:
    """A published version by its id (None for a draft, as for an unknown id)."""
    return (TemplateVersion.objects.filter(pk=pk, status=TemplateVersion.Status.PUBLISHED)
            .select_related("template").first())


def latest_published(template: Template) -> TemplateVersion | None:
    return template.versions.filter(status=TemplateVersion.Status.PUBLISHED).order_by(
        "-number").first()
