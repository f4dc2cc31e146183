"""The value-of-time page: the organisation's value of an hour given and its workforce
size, the skills of skills-based volunteering and their rates (managers change them,
members read them), the own-workforce figures for CSRD reporting with their CSV, and
the statement of skills-based volunteering (PDF)."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core.errors import DomainError
from core.i18n import language
from core.roles import Role
from engagement.models import Campaign, Skill, TimeValuation
from engagement.services.value import (
    skill_create,
    skill_delete,
    skill_update,
    time_valuation_current,
    time_valuation_update,
)
from tenants.access import require_role

from . import exports
from .csrd import MIN_GROUP, csrd_applies, csrd_figures, default_year
from .metrics import period_metrics
from .statement import skills_statement, statement_pdf
from .views_dashboard import PeriodForm, _csv

CENT = Decimal("0.01")



class ValuationForm(forms.Form):
    hour_value = forms.DecimalField(label=gettext_lazy("Value of an hour given (€)"),
                                    min_value=CENT, max_digits=8, decimal_places=2)
    basis = forms.ChoiceField(label=gettext_lazy("Basis of this value"),
                              choices=TimeValuation.Basis.choices)
    basis_note = forms.CharField(label=gettext_lazy("Details of the basis (optional)"),
                                 max_length=300, required=False)
    workforce_size = forms.IntegerField(
        label=gettext_lazy("Workforce size (employees)"), min_value=1, required=False,
        help_text=gettext_lazy("For the share of employees who took part (CSRD)."))


class SkillForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Skill"), max_length=100)
    hourly_rate = forms.DecimalField(label=gettext_lazy("Hourly rate (€)"), min_value=CENT,
                                     max_digits=8, decimal_places=2)


def _period(request) -> tuple[PeriodForm, dict]:
    start, end = default_year(timezone.localdate())
    default = {"start": start, "end": end}
    form = PeriodForm(request.GET if "start" in request.GET else None, initial=default)
    return form, form.cleaned_data if form.is_bound and form.is_valid() else default


def value_of_time(request, valuation_form=None, skill_form=None, status=200):
    form, period = _period(request)
    valuation = time_valuation_current()
    can_manage = request.access.can_manage
    company = csrd_applies()
    return render(request, "reports/value.html", {
        "valuation": valuation, "skills": Skill.objects.all(), "can_manage": can_manage,
        "valuation_form": valuation_form or ValuationForm(initial={
            "hour_value": valuation.hour_value, "basis": valuation.basis,
            "basis_note": valuation.basis_note,
            "workforce_size": valuation.workforce_size}),
        "skill_form": skill_form or SkillForm(),
        "form": form, "period": period, "min_group": MIN_GROUP,
        "is_company": company,
        # The period dashboard's figures: the valued hours of every participant.
        "metrics": period_metrics(period["start"], period["end"]),
        "csrd": csrd_figures(period["start"], period["end"]) if company else None,
        "query": f"start={period['start'].isoformat()}&end={period['end'].isoformat()}",
    }, status=400 if form.errors else status)


@require_POST
def value_settings_save(request):
    require_role(request, Role.MANAGER)
    form = ValuationForm(request.POST)
    if form.is_valid():
        try:
            time_valuation_update(**form.cleaned_data)
        except DomainError as exc:
            exc.add_to_form(form)
        else:
            messages.success(request, _("Value of time saved: the figures follow."))
            return redirect("value_of_time")
    return value_of_time(request, valuation_form=form, status=400)


@require_POST
def skill_add(request):
    require_role(request, Role.MANAGER)
    form = SkillForm(request.POST)
    if form.is_valid():
        try:
            skill_create(**form.cleaned_data)
        except DomainError as exc:
            exc.add_to_form(form)
        else:
            messages.success(request, _("Skill added."))
            return redirect("value_of_time")
    return value_of_time(request, skill_form=form, status=400)


@require_POST
def skill_edit(request, pk: int):
    require_role(request, Role.MANAGER)
    skill = get_object_or_404(Skill, pk=pk)
    form = SkillForm(request.POST)
    if form.is_valid():
        try:
            skill_update(skill=skill, **form.cleaned_data)
        except DomainError as exc:
            messages.error(request, exc.text)
        else:
            messages.success(request, _("Skill saved."))
    else:
        messages.error(request, " ".join(str(e) for es in form.errors.values() for e in es))
    return redirect("value_of_time")


@require_POST
def skill_remove(request, pk: int):
    require_role(request, Role.MANAGER)
    try:
        skill_delete(skill=get_object_or_404(Skill, pk=pk))
    except DomainError as exc:
        messages.error(request, exc.text)
    else:
        messages.success(request, _("Skill deleted."))
    return redirect("value_of_time")


def csrd_export(request):
    form, period = _period(request)
    if form.errors or not csrd_applies():
        raise Http404
    figures = csrd_figures(period["start"], period["end"])
    return _csv(request, f"csrd-s1-{period['start']:%Y%m%d}-{period['end']:%Y%m%d}.csv",
                exports.CSRD_HEADER, lambda: exports.csrd_rows(figures))


def skills_statement_download(request):
    """The statement of a campaign (``?campaign=<id>``) or of a period (``?start=&end=``),
    in the reader's language."""
    access = require_role(request, Role.MANAGER)
    if not csrd_applies():
        raise Http404
    # The file is named in the reader's language, like its contents.
    stem = _("skills-based-volunteering")
    if "campaign" in request.GET:
        if not request.GET["campaign"].isdigit():
            raise Http404
        campaign = get_object_or_404(Campaign, pk=int(request.GET["campaign"]))
        statement = skills_statement(access=access, campaign=campaign)
        name = f"{stem}-{campaign.code}.pdf"
    else:
        form, period = _period(request)
        if form.errors:
            raise Http404
        statement = skills_statement(access=access, start=period["start"],
                                     end=period["end"])
        name = f"{stem}-{period['start']:%Y%m%d}-{period['end']:%Y%m%d}.pdf"
    response = HttpResponse(statement_pdf(statement, language=language()),
                            content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
