"""Pages of lever experiments: the list (per campaign or programme), the set-up with its
power calculation (recomputed by htmx as fields change, or by the "Calculate" button),
launch and stop, the results read from the latest stored look, and the exports.
Members read; managers (and consultants) set up, launch, stop and export."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.errors import DomainError
from core.roles import Role
from engagement.models import Campaign, Programme
from engagement.views.organiser_outreach import bulk_channel_names
from methodology.models import Lever
from tenants.access import require_role

from . import export
from .design import PowerPreview, experiment_power, power_preview
from .forms import VARIANTS, ExperimentForm
from .models import Experiment
from .services import experiment_launch, experiment_save, experiment_stop
from .verdict import arm_rows, headline, progress, segment_rows


def experiment_or_404(pk: int) -> Experiment:
    return get_object_or_404(Experiment.objects.select_related("campaign__programme"), pk=pk)


def _levers(campaign: Campaign) -> list[tuple[str, str]]:
    """The programme's levers first (by their names), then the rest of the catalogue."""
    own = [(lever.code, str(lever.tr("name"))) for lever in campaign.programme.levers.all()]
    known = {code for code, _name in own}
    return own + [(lever.code, str(lever.tr("name"))) for lever in Lever.objects.all()
                  if lever.code not in known]


def _form(data, campaign: Campaign, initial=None) -> ExperimentForm:
    return ExperimentForm(data, campaign=campaign, levers=_levers(campaign),
                          channels=bulk_channel_names(), initial=initial)


# The fields the power calculation reads: it is shown as soon as these are valid, before
# the title, the hypothesis or the messages are written.
POWER_FIELDS = ("wave", "unit", "metric", "baseline_rate", "minimum_effect", "alpha", "power",
                "icc", "holdout_share", "days")


def _preview(form: ExperimentForm) -> tuple[PowerPreview | None, list[str]]:
    """The power calculation of the form's current values, or the reasons it has none."""
    form.is_valid()
    data = form.cleaned_data
    if any(name in form.errors or data.get(name) is None for name in POWER_FIELDS):
        return None, []
    arms = sum(1 for index in range(VARIANTS)
               if index < 2 or data.get(f"variant_{index}_name"))
    hundred = Decimal(100)
    try:
        return power_preview(
            campaign=form.campaign, wave=data["wave"], unit=data["unit"], arms=arms,
            baseline=float(data["baseline_rate"] / hundred),
            mde=float(data["minimum_effect"] / hundred), alpha=float(data["alpha"]),
            power=float(data["power"]), icc=float(data["icc"]),
            holdout_share=float(data["holdout_share"] / hundred), days=data["days"],
            metric=data["metric"],
            send_hours=[data.get(f"variant_{index}_send_hour") for index in range(VARIANTS)
                        if index < 2 or data.get(f"variant_{index}_name")]), []
    except DomainError as exc:
        exc.add_to_form(form)
        return None, [str(m) for ms in exc.errors.values() for m in ms]


def _initial_preview(form: ExperimentForm) -> PowerPreview | None:
    """The power of the pre-filled values, so the panel is not empty when the page opens
    (a list without a value sends its first choice, as the browser does)."""
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        choices = getattr(field, "choices", None)
        if value is None and choices:
            value = next(iter(choices))[0]
        if value is not None:
            data[name] = value
    return _preview(_form(data, form.campaign))[0]


@require_GET
def experiment_list(request):
    require_role(request, Role.VIEWER)
    experiments = Experiment.objects.select_related("campaign").order_by("-created_at")
    campaign = programme = None
    if (text := request.GET.get("campaign", "")).isdigit():
        campaign = get_object_or_404(Campaign, pk=int(text))
        experiments = experiments.filter(campaign=campaign)
    elif (text := request.GET.get("programme", "")).isdigit():
        programme = get_object_or_404(Programme, pk=int(text))
        experiments = experiments.filter(campaign__programme=programme)
    return render(request, "lab/experiment_list.html", {
        "experiments": experiments[:200], "campaign": campaign, "programme": programme,
        "can_manage": request.access.can_manage})


@require_http_methods(["GET", "POST"])
def experiment_new(request, campaign_pk: int):
    require_role(request, Role.MANAGER)
    campaign = get_object_or_404(Campaign.objects.select_related("programme"), pk=campaign_pk)
    return _setup(request, campaign, None)


@require_http_methods(["GET", "POST"])
def experiment_edit(request, pk: int):
    require_role(request, Role.MANAGER)
    experiment = experiment_or_404(pk)
    if experiment.status != Experiment.Status.DRAFT:
        return redirect("experiment_detail", pk=experiment.pk)
    return _setup(request, experiment.campaign, experiment)


def _setup(request, campaign: Campaign, experiment: Experiment | None):
    initial = ExperimentForm.initial_from(experiment) if experiment else {
        "variant_0_name": _("Usual message"), "variant_1_name": _("New message")}
    form = _form(request.POST or None, campaign, initial=initial)
    preview, status = None, 200
    if request.method == "POST":
        if request.POST.get("save") == "1" and not request.headers.get("HX-Request"):
            if form.is_valid():
                try:
                    experiment = experiment_save(campaign=campaign, spec=form.spec(),
                                                 user=request.user, experiment=experiment)
                    return redirect("experiment_detail", pk=experiment.pk)
                except DomainError as exc:
                    exc.add_to_form(form)
        else:
            preview, _reasons = _preview(form)
            if request.headers.get("HX-Request"):
                return render(request, "lab/_power.html", {"preview": preview, "form": form})
        status = 400 if form.errors else 200
    else:
        preview = _initial_preview(form)
    return render(request, "lab/experiment_form.html", {
        "campaign": campaign, "experiment": experiment, "form": form, "preview": preview,
        "action": reverse("experiment_edit", args=[experiment.pk]) if experiment
        else reverse("experiment_new", args=[campaign.pk])}, status=status)


@require_GET
def experiment_detail(request, pk: int):
    require_role(request, Role.VIEWER)
    experiment = experiment_or_404(pk)
    look = experiment.looks.order_by("-day").first()
    analysis = look.analysis if look else {}
    preview = None
    if experiment.status == Experiment.Status.DRAFT:
        try:
            preview = experiment_power(experiment)
        except DomainError:
            preview = None
    return render(request, "lab/experiment_detail.html", {
        "experiment": experiment, "look": look, "preview": preview,
        "variants": experiment.variants.all(),
        "headline": headline(experiment, analysis, look.day) if look else "",
        "progress": progress(experiment, analysis, look.day) if look else "",
        "arms": arm_rows(analysis), "segments": segment_rows(analysis),
        "guardrails": analysis.get("comparisons", []),
        "can_manage": request.access.can_manage})


@require_POST
def experiment_launch_view(request, pk: int):
    require_role(request, Role.MANAGER)
    experiment = experiment_or_404(pk)
    try:
        experiment_launch(experiment=experiment, user=request.user)
        messages.success(request, _("The experiment is running: its messages are on "
                                    "their way."))
    except DomainError as exc:
        messages.error(request, exc.text)
    return redirect("experiment_detail", pk=experiment.pk)


@require_POST
def experiment_stop_view(request, pk: int):
    require_role(request, Role.MANAGER)
    experiment = experiment_or_404(pk)
    try:
        experiment_stop(experiment=experiment)
        messages.success(request, _("The experiment is stopped."))
    except DomainError as exc:
        messages.error(request, exc.text)
    return redirect("experiment_detail", pk=experiment.pk)


@require_GET
def experiment_export_csv(request, pk: int):
    require_role(request, Role.MANAGER)
    experiment = experiment_or_404(pk)
    # Streamed: rows are read from a server-side cursor as the response is written, so
    # an experiment of any size never sits in memory (bench/exports_memory.py).
    reader_language = translation.get_language()
    zone = timezone.get_current_timezone()

    def lines():
        # The lines are written after this view (and the middleware that activated the
        # language and the organisation's zone) has returned: keep the requester's
        # language (the holdout's name) and the zone, as the dashboard's exports do.
        with translation.override(reader_language), timezone.override(zone):
            yield from export.people_csv_lines(experiment)

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="experiment-{experiment.pk}-people.csv"')
    return response


@require_GET
def experiment_export_sql(request, pk: int):
    require_role(request, Role.MANAGER)
    experiment = experiment_or_404(pk)
    response = HttpResponse(export.result_sql(experiment),
                            content_type="application/sql; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="experiment-{experiment.pk}.sql"'
    return response
