"""Report pages of an organisation's space: the list (with the request form), downloads,
and the commentary a consultant writes into the reports."""

from __future__ import annotations

from datetime import date

from django import forms
from django.contrib import messages
from django.db import transaction
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from billing.codes import Option
from billing.entitlements import entitlements_for
from core.errors import DomainError
from core.i18n import other
from core.roles import Role
from engagement.bilingual import IN_LANGUAGE_LABEL, main_language, organisation_language
from engagement.bilingual_html import localized_html
from engagement.models import Campaign, Programme
from tenants.access import require_role

from .metrics import default_period
from .models import Commentary, Report
from .retention import kept_months
from .selectors import FINAL, commentary_by_section, may_write_commentary, reports_latest
from .services import commentary_save, report_request

# A date input reads only ISO dates (yyyy-mm-dd), whatever the page's language.
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ReportRequestForm(forms.Form):
    # Radio buttons: the template lays the three subjects out as a fieldset of choices.
    scope = forms.ChoiceField(label=gettext_lazy("Report on"), choices=Report.Scope.choices,
                              widget=forms.RadioSelect, initial=Report.Scope.PROGRAMME)
    campaign = forms.ModelChoiceField(label=gettext_lazy("Campaign"), required=False,
                                      queryset=Campaign.objects.exclude(status="draft"),
                                      empty_label=gettext_lazy("Choose a campaign"))
    programme = forms.ModelChoiceField(label=gettext_lazy("Programme"), required=False,
                                       queryset=Programme.objects.all(),
                                       empty_label=gettext_lazy("Choose a programme"))
    period_start = forms.DateField(label=gettext_lazy("From"), required=False, widget=DATE)
    period_end = forms.DateField(label=gettext_lazy("To"), required=False, widget=DATE)
    language = forms.ChoiceField(label=gettext_lazy("Language of the report"),
                                 choices=[("fr", "Français"), ("en", "English")])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Campaigns and programmes named in the reader's language (engagement.bilingual).
        for name, text in (("campaign", "title"), ("programme", "name")):
            field = self.fields[name]
            assert isinstance(field, forms.ModelChoiceField)
            field.label_from_instance = (
                lambda obj, text=text: obj.localized(text).text)


def _default_period() -> dict:
    start, end = default_period()
    return {"period_start": start, "period_end": end}


def _rows_context(request) -> dict:
    reports = reports_latest(50)
    for report in reports:
        report.kept_months = kept_months(report)  # for "file deleted on …"
    return {"reports": reports, "may_comment": may_write_commentary(request.user),
            "pending": any(report.status not in FINAL for report in reports)}


@require_http_methods(["GET", "POST"])
def report_list(request):
    """Every member sees the reports; managers and above request new ones. While one is
    not finished, the table reloads itself (HTMX) until it is."""
    access = require_role(request, Role.VIEWER)
    if request.htmx and request.method == "GET":
        return render(request, "reports/report_rows.html", _rows_context(request))
    form = ReportRequestForm(request.POST or None,
                             # The language the person reads the page in: they forward
                             # the report to people who read the same.
                             initial={"language": (request.LANGUAGE_CODE or "")[:2]
                                      or request.tenant.locale,
                                      **_default_period()})
    if request.method == "POST":
        require_role(request, Role.MANAGER)
        if form.is_valid():
            try:
                report_request(**form.cleaned_data, user=request.user)
            except DomainError as exc:
                exc.add_to_form(form)
            else:
                messages.success(request, _("Report requested: it will be ready in a moment."))
                return redirect("report_list")
    return render(request, "reports/report_list.html", {
        **_rows_context(request), "form": form if access.can_manage else None},
        status=400 if form.errors else 200)


def report_download(request, pk: int):
    """The PDF, to members. Reports live in the organisation's schema, so another
    organisation's report id is simply not found here."""
    require_role(request, Role.VIEWER)
    report = get_object_or_404(Report, pk=pk, status=Report.Status.READY,
                               file_deleted_at__isnull=True)
    return FileResponse(report.file.open("rb"), as_attachment=True,
                        filename=f"{report.title}.pdf", content_type="application/pdf")


def _subject_name(scope: str, key: str) -> str:
    """The subject a commentary key names, or 404 when it is not one of this
    organisation's."""
    kind, _sep, rest = key.partition(":")
    if kind != scope:
        raise Http404
    try:
        if scope == Report.Scope.CAMPAIGN:
            return localized_html(get_object_or_404(Campaign, pk=int(rest)), "title")
        if scope == Report.Scope.PROGRAMME:
            return localized_html(get_object_or_404(Programme, pk=int(rest)), "name")
        if scope == Report.Scope.PERIOD:
            start, end = (date.fromisoformat(part) for part in rest.split(":"))
            return _("From %(start)s to %(end)s") % {
                "start": date_format(start, "DATE_FORMAT"),
                "end": date_format(end, "DATE_FORMAT")}
    except ValueError:
        pass
    raise Http404


@require_http_methods(["GET", "POST"])
def commentary_edit(request, scope: str, key: str):
    """The consultant's (or the owner's) commentary on one subject, section by section,
    in Markdown; the next report on that subject prints it."""
    if not may_write_commentary(request.user):
        raise Http404
    subject = _subject_name(scope, key)
    current = commentary_by_section(key)
    # Each section in its language (the organisation's for a new one) and the other.
    sections = []
    for value, label in Commentary.Section.choices:
        commentary = current.get(value)
        main = main_language(commentary.content_language if commentary
                             else organisation_language())
        translation_name = f"{value}_{other(main)}"
        sections.append({
            "name": value, "label": label, "translation_name": translation_name,
            "language": main, "language_label": IN_LANGUAGE_LABEL[main],
            "other_language": other(main), "other_language_label": IN_LANGUAGE_LABEL[other(main)],
            "text": request.POST.get(value, commentary.text if commentary else ""),
            "translation": request.POST.get(
                translation_name, commentary.text_in("text", other(main)) if commentary
                else "")})
    errors: dict = {}
    if request.method == "POST":
        try:
            # All sections or none: a refused one leaves the others as they were.
            with transaction.atomic():
                for section in sections:
                    commentary_save(scope=scope, subject_key=key, section=section["name"],
                                    text=section["text"],
                                    translation=section["translation"], user=request.user)
        except DomainError as exc:
            errors = exc.errors
        else:
            messages.success(request, _("Commentary saved: the next report on this subject "
                                        "shows it."))
            return redirect("commentary_edit", scope=scope, key=key)
    return render(request, "reports/commentary_edit.html", {
        "subject": subject, "sections": sections, "errors": errors,
        "included": entitlements_for(request.tenant).allows(Option.COMMENTED_REPORT)},
        status=400 if errors else 200)
