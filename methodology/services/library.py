"""The shipped library (methodology/library/): the catalogue of levers and indicators, and
every template file, loaded all or nothing (``manage.py load_methodology``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction

from core.errors import DomainError

from .. import document
from ..models import ImpactIndicator, Lever, Template, TemplateVersion
from ..selectors import version_document, versions_with_content
from .versions import (
    current_catalogue,
    draft_create,
    draft_update,
    template_create,
    version_publish,
)


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


def _upsert(model: type[Lever] | type[ImpactIndicator], code: str, values: dict[str, Any],
            report: LoadReport, label: str) -> None:
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


def catalogue_load(*, data: dict[str, Any], report: LoadReport) -> None:
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


def _load_template(doc: dict[str, Any], report: LoadReport) -> None:
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
