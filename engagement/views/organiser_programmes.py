"""The organisers' programme pages: the programmes, the methodology's template library a
programme starts from, a programme's checklist, and moving it to a newer version."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import DomainError
from core.roles import Role
from core.tenancy import current_organisation
from methodology.diff import diff_documents
from methodology.evidence import success_by_template
from methodology.models import Audience, Template, Theme
from methodology.selectors import (
    latest_published,
    published_templates,
    version_document,
    versions_with_content,
)
from methodology.services import readable_changes
from tenants.access import require_role

from ..evidence import template_evidence
from ..forms import ProgrammeForm, ProgrammeFromTemplateForm
from ..models import Programme, ProgrammeStep
from ..services import (
    programme_apply_version,
    programme_create,
    programme_create_from_template,
    programme_newer_version,
    programme_update,
    step_set_status,
)
from ..services.programmes import programme_suggested_dates


@require_http_methods(["GET", "POST"])
def programme_list(request):
    form = ProgrammeForm(request.POST or None)
    if request.method == "POST":
        require_role(request, Role.MANAGER)
        if form.is_valid():
            try:
                programme = programme_create(
                    **form.main_data(), content_language=form.content_language,
                    translations=form.translations())
            except DomainError as exc:
                exc.add_to_form(form)
            else:
                messages.success(request, _("Programme “%(name)s” created.") % {
                    "name": programme.localized("name").text})
                return redirect("programme_detail", pk=programme.pk)
    return render(
        request,
        "engagement/programmes.html",
        {"programmes": Programme.objects.select_related("template_version__template"),
         "form": form if request.access.can_manage else None},
        status=400 if form.errors else 200,
    )


def template_library(request):
    """Published methodology templates, filtered by audience and theme (HTMX-refreshed)."""
    audience = request.GET.get("audience") or None
    theme = request.GET.get("theme") or None
    versions = list(published_templates(audience=audience, theme=theme))
    evidence = success_by_template(current_organisation().kind)
    for version in versions:  # across organisations, when published (issue 15)
        version.evidence = evidence.get(version.template.slug)
    context = {
        "versions": versions,
        "audiences": Audience.choices, "themes": Theme.choices,
        "audience": audience, "theme": theme,
    }
    if request.htmx:
        return render(request, "engagement/_template_cards.html", context)
    return render(request, "engagement/templates.html", context)


@require_http_methods(["GET", "POST"])
def template_detail(request, slug):
    template = get_object_or_404(Template, slug=slug)
    latest = latest_published(template)
    if latest is None:  # drafts are for consultants only
        raise Http404
    version = versions_with_content().get(pk=latest.pk)
    form = None
    if request.access.can_manage:
        form = ProgrammeFromTemplateForm(request.POST or None, version=version, initial={
            "participant_target": version.default_participant_target,
            **programme_suggested_dates(version=version, today=timezone.localdate())})
    elif request.method == "POST":
        raise Http404
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            programme = programme_create_from_template(
                version=version, name=data["name"], starts_on=data["starts_on"],
                ends_on=data["ends_on"], action_date=data["action_date"],
                participant_target=data["participant_target"],
                content_language=form.content_language, translations=form.translations())
        except DomainError as exc:
            exc.add_to_form(form)
        else:
            messages.success(request, _("Programme “%(name)s” created from the methodology.")
                             % {"name": programme.localized("name").text})
            return redirect("programme_detail", pk=programme.pk)
    evidence = template_evidence(slug)
    return render(request, "engagement/template_detail.html",
                  {"version": version, "form": form, "evidence": evidence},
                  status=400 if form is not None and form.errors else 200)


def _programme(pk) -> Programme:
    return get_object_or_404(Programme.objects.select_related("template_version__template"),
                             pk=pk)


def programme_detail(request, pk):
    programme = _programme(pk)
    steps = list(programme.steps.all())
    phases: list[tuple[str, list[ProgrammeStep]]] = []
    for step in steps:
        title = step.tr("phase_title")
        if not phases or phases[-1][0] != title:
            phases.append((title, []))
        phases[-1][1].append(step)
    return render(request, "engagement/programme_detail.html", {
        "programme": programme,
        "phases": phases,
        "overdue_count": sum(1 for step in steps if step.is_overdue),
        "done_count": sum(1 for step in steps if step.is_closed),
        "step_count": len(steps),
        "newer": programme_newer_version(programme),
        "campaigns": programme.campaigns.order_by("starts_at"),
        "statuses": ProgrammeStep.Status.choices,
    })


@require_http_methods(["GET", "POST"])
def programme_edit(request, pk):
    """A programme's name and description in both languages, its dates and target."""
    require_role(request, Role.MANAGER)
    programme = _programme(pk)
    form = ProgrammeForm(request.POST or None, instance=programme)
    if request.method == "POST" and form.is_valid():
        changed = form.main_data(form.changed_data)
        if translations := form.translations(only_changed=True):
            changed["translations"] = translations
        try:
            programme_update(programme=_programme(pk), **changed)
        except DomainError as exc:
            exc.add_to_form(form)
        else:
            messages.success(request, _("Programme saved."))
            return redirect("programme_detail", pk=programme.pk)
    return render(request, "engagement/programme_form.html",
                  {"form": form, "programme": _programme(pk)},
                  status=400 if form.errors else 200)


@require_POST
def step_status(request, pk, step_id):
    """Change a checklist step's status; HTMX swaps the row, a plain form reloads."""
    require_role(request, Role.MANAGER)
    programme = _programme(pk)
    step = get_object_or_404(ProgrammeStep, pk=step_id, programme=programme)
    try:
        step_set_status(step=step, status=request.POST.get("status", ""))
    except DomainError as exc:
        messages.error(request, exc.errors["status"][0])
    if request.htmx:
        return render(request, "engagement/_step_row.html", {
            "step": step, "programme": programme, "statuses": ProgrammeStep.Status.choices})
    return redirect("programme_detail", pk=programme.pk)


@require_http_methods(["GET", "POST"])
def programme_upgrade(request, pk):
    programme = _programme(pk)
    newer = programme_newer_version(programme)
    if newer is None:
        raise Http404
    if request.method == "POST":
        require_role(request, Role.MANAGER)
        if request.POST.get("version") != str(newer.number):
            messages.info(request, _("A newer version was published meanwhile: here is what "
                                     "changed."))
            return redirect("programme_upgrade", pk=programme.pk)
        try:
            counts = programme_apply_version(programme=programme, version=newer)
        except DomainError as exc:
            messages.error(request, exc.errors["version"][0])
            return redirect("programme_detail", pk=programme.pk)
        messages.success(request, _(
            "Version %(number)s applied: %(updated)s steps updated, %(added)s added, "
            "%(removed)s removed, %(kept)s done or in progress kept as they were.") % {
            "number": newer.number, **counts})
        return redirect("programme_detail", pk=programme.pk)
    current = versions_with_content().get(pk=programme.template_version_id)
    changes = readable_changes(diff_documents(
        version_document(current), version_document(versions_with_content().get(pk=newer.pk))))
    return render(request, "engagement/programme_upgrade.html", {
        "programme": programme, "newer": newer, "changes": changes})
