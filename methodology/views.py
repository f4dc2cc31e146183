"""The authoring console for Fullmobs consultants, on the public site (/console/)."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import DomainError

from . import document
from .access import consultant_required
from .diff import diff_documents
from .evidence import what_worked_for_whom
from .forms import (
    apply_operation,
    build_editor,
    describe_path,
    document_from_post,
    explain_yaml_error,
    start_document,
)
from .models import Template, TemplateVersion
from .selectors import version_document, versions_with_content
from .services import (
    current_catalogue,
    draft_create,
    draft_update,
    publication_preview,
    readable_changes,
    template_create,
    version_publish,
)

SKELETON = """slug: new-template
audience: employees
theme: solidarity
typical_duration_days: 60
default_participant_target: 80
sdgs: [11]
title: {fr: "", en: ""}
summary: {fr: "", en: ""}
phases:
  - code: frame
    title: {fr: "Cadrer", en: "Frame"}
    steps:
      - key: first-step
        title: {fr: "", en: ""}
        guidance: {fr: "", en: ""}
        owner_role: programme_lead
        due_offset_days: -30
levers: []
messages: {}
indicators: []
survey: {after_action: [], follow_up: []}
"""


def _version(slug: str, number: int) -> TemplateVersion:
    return get_object_or_404(versions_with_content(), template__slug=slug, number=number)


def _parse(text: str):
    explained = explain_yaml_error(text)
    if explained is not None:
        return None, {"document": [_("The YAML could not be read. %(error)s") % {
            "error": explained}]}
    return document.load_yaml(text), None


def _yaml_mode(request) -> bool:
    return request.GET.get("mode") == "yaml" or "document" in request.POST


def _render_form(request, *, doc, errors=None, version=None, status=200, changed=False):
    editor = build_editor(doc, errors, new=version is None)
    return render(request, "methodology/console_form.html", {
        "editor": editor, "version": version, "new": version is None, "changed": changed,
        "placeholders": sorted(document.PLACEHOLDERS),
        "what_worked": what_worked_for_whom(version.template.slug if version else ""),
    }, status=status)


@consultant_required
def console_index(request):
    templates = Template.objects.prefetch_related("versions").order_by("slug")
    rows = []
    for template in templates:
        versions = sorted(template.versions.all(), key=lambda v: -v.number)
        published = next((v for v in versions if v.is_published), None)
        draft = next((v for v in versions if not v.is_published), None)
        rows.append({"template": template, "published": published, "draft": draft,
                     "title": (published or draft).tr("title") if versions else template.slug})
    return render(request, "methodology/console_index.html", {"rows": rows})


@consultant_required
@require_http_methods(["GET", "POST"])
def console_new(request):
    if not _yaml_mode(request):
        return _console_new_form(request)
    text = request.POST.get("document", SKELETON)
    errors = None
    if request.method == "POST":
        doc, errors = _parse(text)
        if doc is not None:
            try:
                version = template_create(doc=doc, user=request.user)
            except DomainError as exc:
                errors = exc.errors
            else:
                messages.success(request, _("Draft saved."))
                return redirect("console_edit", slug=version.template.slug,
                                number=version.number)
    return render(request, "methodology/console_edit.html",
                  {"text": text, "errors": _described(errors), "version": None, "new": True},
                  status=400 if errors else 200)


def _console_new_form(request):
    if request.method == "GET":
        return _render_form(request, doc=start_document())
    doc = document_from_post(request.POST)
    if request.POST.get("op"):
        return _render_form(request, doc=apply_operation(doc, request.POST["op"]),
                            changed=True)
    try:
        version = template_create(doc=doc, user=request.user)
    except DomainError as exc:
        return _render_form(request, doc=doc, errors=exc.errors, status=400)
    messages.success(request, _("Draft saved."))
    return redirect("console_edit", slug=version.template.slug, number=version.number)


def _described(errors):
    """YAML-mode errors keyed by a readable name of the field (and its path)."""
    if not errors:
        return errors
    return {(f"{describe_path(path)} ({path})" if path != "document" else path): messages
            for path, messages in errors.items()}


@consultant_required
def console_template(request, slug):
    template = get_object_or_404(Template, slug=slug)
    versions = template.versions.order_by("-number")
    return render(request, "methodology/console_template.html",
                  {"template": template, "versions": versions,
                   "what_worked": what_worked_for_whom(slug)})


@consultant_required
def console_version(request, slug, number):
    version = _version(slug, number)
    issues = None
    if not version.is_published:
        issues = _described(dict(document.validate(version_document(version),
                                                   current_catalogue())))
    return render(request, "methodology/console_version.html",
                  {"version": version, "issues": issues})


@consultant_required
@require_http_methods(["GET", "POST"])
def console_edit(request, slug, number):
    version = _version(slug, number)
    if version.is_published:
        messages.info(request, _("Published versions never change: create a new draft."))
        return redirect("console_version", slug=slug, number=number)
    if not _yaml_mode(request):
        return _console_edit_form(request, version)
    text = request.POST.get("document") or document.dump_yaml(version_document(version))
    errors = issues = None
    if request.method == "POST":
        doc, errors = _parse(text)
        if doc is not None:
            try:
                remaining = draft_update(version=version, doc=doc)
            except DomainError as exc:
                errors = exc.errors
            else:
                issues = dict(remaining)
                messages.success(request, _("Draft saved."))
                if "preview" in request.POST:
                    return redirect("console_version", slug=slug, number=number)
    else:
        issues = dict(document.validate(version_document(version), current_catalogue()))
    return render(request, "methodology/console_edit.html",
                  {"text": text, "errors": _described(errors), "issues": _described(issues),
                   "version": version}, status=400 if errors else 200)


def _console_edit_form(request, version):
    if request.method == "GET":
        doc = version_document(version)
        return _render_form(request, doc=doc, version=version,
                            errors=document.validate(doc, current_catalogue()))
    doc = document_from_post(request.POST)
    doc["slug"] = version.template.slug
    if request.POST.get("op"):
        return _render_form(request, doc=apply_operation(doc, request.POST["op"]),
                            version=version, changed=True)
    try:
        remaining = draft_update(version=version, doc=doc)
    except DomainError as exc:
        return _render_form(request, doc=doc, errors=exc.errors, version=version, status=400)
    messages.success(request, _("Draft saved."))
    if "preview" in request.POST:
        return redirect("console_version", slug=version.template.slug, number=version.number)
    return _render_form(request, doc=version_document(version), errors=remaining,
                        version=version)


@consultant_required
@require_POST
def console_new_draft(request, slug):
    template = get_object_or_404(Template, slug=slug)
    draft = draft_create(template=template, user=request.user)
    return redirect("console_edit", slug=slug, number=draft.number)


@consultant_required
@require_http_methods(["GET", "POST"])
def console_publish(request, slug, number):
    """Publishing is final: a page first says so, shows what changes since the last
    published version and flags texts changed in one language only."""
    version = _version(slug, number)
    if version.is_published:
        return redirect("console_version", slug=slug, number=number)
    preview = publication_preview(version=version)
    context = {"version": version, "preview": preview}
    if request.method == "GET":
        return render(request, "methodology/console_publish.html", context)
    if request.POST.get("confirm") != "final":
        return redirect("console_publish", slug=slug, number=number)
    if preview.one_language and not request.POST.get("one_language_checked"):
        context["confirm_error"] = _(
            "Some texts changed in one language only: check them, then tick the box to "
            "publish anyway.")
        return render(request, "methodology/console_publish.html", context, status=400)
    try:
        version_publish(version=version, user=request.user)
    except DomainError as exc:
        return render(request, "methodology/console_version.html",
                      {"version": version, "issues": _described(exc.errors),
                       "publish_refused": True}, status=400)
    messages.success(request, _("Version %(number)s is published.") % {"number": number})
    return redirect("console_version", slug=slug, number=number)


@consultant_required
def console_diff(request, slug):
    template = get_object_or_404(Template, slug=slug)
    numbers = list(template.versions.order_by("number").values_list("number", flat=True))
    try:
        a = int(request.GET.get("a") or (numbers[-2] if len(numbers) > 1 else numbers[0]))
        b = int(request.GET.get("b") or numbers[-1])
    except (ValueError, IndexError) as exc:
        raise Http404 from exc
    old, new = _version(slug, a), _version(slug, b)
    changes = readable_changes(diff_documents(version_document(old), version_document(new)))
    return render(request, "methodology/console_diff.html", {
        "template": template, "old": old, "new": new, "changes": changes, "numbers": numbers})
