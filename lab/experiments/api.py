"""Lever experiments in the API (/api/v1/experiments/): list, create a draft, detail,
the power calculation (``power-preview``), launch, the latest stored results and the
exports. Members read; managers (and consultants) write and export; outsiders get 404."""

from __future__ import annotations

from decimal import Decimal

from django.http import Http404
from django_filters.rest_framework import FilterSet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from core.filters import StrictChoiceFilter, WholeNumberFilter
from engagement.models import Campaign
from engagement.services.outreach import BULK_CHANNELS
from tenants.api_base import OrganisationViewSet

from . import export
from .design import power_preview
from .models import Experiment, Variant
from .services import ExperimentSpec, VariantSpec, experiment_launch, experiment_save
from .verdict import arm_name, headline


class VariantSerializer(serializers.ModelSerializer):
    class Meta:
        model = Variant
        fields = ["id", "name", "is_holdout", "is_control", "lever_code", "channel",
                  "subject_fr", "subject_en", "body_fr", "body_en", "send_hour"]
        read_only_fields = fields


class ExperimentSerializer(serializers.ModelSerializer):
    variants = VariantSerializer(many=True, read_only=True)

    class Meta:
        model = Experiment
        fields = ["id", "campaign", "title", "wave", "hypothesis", "metric", "unit",
                  "holdout_share", "baseline_rate", "minimum_effect", "alpha", "power", "icc",
                  "planned_people", "status", "launched_at", "concluded_at", "ends_at",
                  "variants"]
        read_only_fields = fields


class VariantWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=80)
    lever_code = serializers.CharField(max_length=50, required=False, allow_blank=True,
                                       help_text="A lever's code (GET /api/v1/levers/).")
    channel = serializers.ChoiceField(choices=list(BULK_CHANNELS))
    subject_fr = serializers.CharField(max_length=250, required=False, allow_blank=True)
    subject_en = serializers.CharField(max_length=250, required=False, allow_blank=True)
    body_fr = serializers.CharField(required=False, allow_blank=True)
    body_en = serializers.CharField(required=False, allow_blank=True)
    send_hour = serializers.IntegerField(min_value=0, max_value=23, required=False,
                                         allow_null=True)


def rate(**options) -> serializers.DecimalField:
    """A rate or share between 0 and 1, three decimals (as the model stores it)."""
    return serializers.DecimalField(max_digits=4, decimal_places=3, min_value=Decimal(0),
                                    max_value=Decimal(1), **options)


class ExperimentWriteSerializer(serializers.Serializer):
    campaign = serializers.PrimaryKeyRelatedField(queryset=Campaign.objects.all())
    title = serializers.CharField(max_length=150)
    hypothesis = serializers.CharField()
    wave = serializers.ChoiceField(choices=Experiment.Wave.choices, default="invitation")
    metric = serializers.ChoiceField(choices=Experiment.Metric.choices, default="pledged")
    unit = serializers.ChoiceField(choices=Experiment.Unit.choices, default="person")
    holdout_share = rate(default=Decimal("0.05"),
                                             help_text="0 to 0.49: people sent nothing.")
    baseline_rate = rate(help_text="The usual rate, 0 to 1.")
    minimum_effect = rate(
        help_text="Smallest absolute change worth detecting (0.05: 5 points).")
    alpha = rate(default=Decimal("0.05"))
    power = rate(default=Decimal("0.8"))
    icc = rate(default=Decimal("0"),
                                   help_text="Intraclass correlation (team units).")
    days = serializers.IntegerField(min_value=1, max_value=120, default=14)
    variants = VariantWriteSerializer(many=True, help_text="The first is the control.")


class PowerSerializer(serializers.Serializer):
    people_per_arm = serializers.IntegerField()
    clusters_per_arm = serializers.IntegerField()
    design_effect = serializers.FloatField()
    needed_total = serializers.IntegerField()
    audience = serializers.IntegerField(help_text="People the wave can reach now.")
    enough = serializers.BooleanField(help_text="False: the audience is too small.")
    days = serializers.IntegerField(
        help_text="Daily looks planned: the duration asked for, cut at the campaign's "
        "mobilisation deadline (sign-ups) or the action's end (attendance), counted from "
        "the first variant's send time. The people needed allow for that many looks.")
    days_chosen = serializers.IntegerField(help_text="The duration asked for (days).")


class ComparisonSerializer(serializers.Serializer):
    """THE result of one treatment against the control: the sequential (repeated)
    estimate and intervals, valid at every look."""

    variant_id = serializers.IntegerField()
    name = serializers.CharField()
    absolute = serializers.FloatField(allow_null=True, help_text="Rate difference (0.05: 5 "
                                      "points).")
    absolute_low = serializers.FloatField(allow_null=True)
    absolute_high = serializers.FloatField(allow_null=True)
    relative = serializers.FloatField(allow_null=True, help_text="Relative lift (delta "
                                      "method on the log ratio).")
    relative_low = serializers.FloatField(allow_null=True)
    relative_high = serializers.FloatField(allow_null=True)
    crossed = serializers.BooleanField(help_text="The sequential boundary was crossed.")
    final = serializers.BooleanField()
    information_fraction = serializers.FloatField()
    fixed_horizon = serializers.JSONField(
        allow_null=True, help_text="The one-look (fixed-horizon) lift: only at the final "
        "look, null before (it would overstate the evidence at an interim look).")


def comparisons(analysis: dict) -> list[dict]:
    rows = []
    for entry in analysis.get("comparisons", []):
        lift = entry.get("sequential") or {}
        rows.append({"variant_id": entry["variant_id"], "name": entry["name"],
                     **{k: lift.get(k) for k in ("absolute", "absolute_low", "absolute_high",
                                                 "relative", "relative_low",
                                                 "relative_high")},
                     "crossed": bool(entry.get("crossed")), "final": bool(entry.get("final")),
                     "information_fraction": float(entry.get("fraction", 0.0)),
                     "fixed_horizon": entry.get("fixed") if entry.get("final") else None})
    return rows


def readable(analysis: dict) -> dict:
    """The stored analysis for a reader: the holdout named in their language, the
    fixed-horizon figures left out before the final look."""
    arms = [arm | {"name": arm_name(arm)} for arm in analysis.get("arms", [])]
    entries = [{k: v for k, v in c.items() if k != "fixed" or c.get("final")}
               for c in analysis.get("comparisons", [])]
    return analysis | {"arms": arms, "comparisons": entries} if analysis else analysis


class ResultsSerializer(serializers.Serializer):
    status = serializers.CharField()
    day = serializers.DateField(allow_null=True)
    information_fraction = serializers.FloatField()
    verdict = serializers.CharField(help_text="evidence, not_yet, no_effect or srm.")
    headline = serializers.CharField(help_text="The verdict in the reader's language.")
    comparisons = ComparisonSerializer(many=True)
    analysis = serializers.JSONField(help_text="Arms' sums, sequential lifts (the fixed-"
                                     "horizon one at the final look only), SRM check, "
                                     "guardrails, segments.")


class ExportSerializer(serializers.Serializer):
    csv = serializers.CharField(help_text="Per person: id, unit, variant, hash, outcomes.")
    sql = serializers.CharField(
        help_text="Run in psql (read-only): recomputes every hash, the arms' sums and the "
        "latest look's result (lifts and intervals, the sample-ratio check).")


class ExperimentFilter(FilterSet):
    campaign = WholeNumberFilter(field_name="campaign_id", help_text="Campaign id.")
    status = StrictChoiceFilter(choices=Experiment.Status.choices)


def _spec(data: dict) -> ExperimentSpec:
    variants = [VariantSpec(**{k: v for k, v in item.items()}) for item in data["variants"]]
    fields = {k: v for k, v in data.items() if k not in ("campaign", "variants")}
    return ExperimentSpec(**fields, variants=variants)


@extend_schema_view(
    create=extend_schema(request=ExperimentWriteSerializer,
                         responses={201: ExperimentSerializer}),
    power_preview=extend_schema(request=ExperimentWriteSerializer, responses=PowerSerializer,
                                description="The power calculation, nothing saved."),
    launch=extend_schema(request=None, responses=ExperimentSerializer,
                         description="Assign and send; launching again changes nothing."),
    results=extend_schema(responses=ResultsSerializer),
    export=extend_schema(responses=ExportSerializer),
)
class ExperimentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin,
                        OrganisationViewSet):
    queryset = (Experiment.objects.select_related("campaign")
                .prefetch_related("variants").order_by("-created_at", "-id"))
    serializer_class = ExperimentSerializer
    filterset_class = ExperimentFilter
    http_method_names = ["get", "post", "head", "options"]

    def create(self, request):
        payload = ExperimentWriteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        experiment = experiment_save(campaign=payload.validated_data["campaign"],
                                     spec=_spec(payload.validated_data), user=request.user)
        return Response(ExperimentSerializer(experiment).data, status=status.HTTP_201_CREATED)

    @action(detail=False, methods=["post"], url_path="power-preview")
    def power_preview(self, request):
        payload = ExperimentWriteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        preview = power_preview(
            campaign=data["campaign"], wave=data["wave"], unit=data["unit"],
            arms=len(data["variants"]), baseline=float(data["baseline_rate"]),
            mde=float(data["minimum_effect"]), alpha=float(data["alpha"]),
            power=float(data["power"]), icc=float(data["icc"]),
            holdout_share=float(data["holdout_share"]), days=data["days"],
            metric=data["metric"],
            send_hours=[v.get("send_hour") for v in data["variants"]])
        return Response(PowerSerializer({
            "people_per_arm": preview.plan.people_per_arm,
            "clusters_per_arm": preview.plan.clusters_per_arm,
            "design_effect": preview.plan.design_effect, "needed_total": preview.needed_total,
            "audience": preview.audience, "enough": preview.enough,
            "days": preview.days, "days_chosen": preview.days_chosen}).data)

    @action(detail=True, methods=["post"])
    def launch(self, request, pk=None):
        experiment = experiment_launch(experiment=self.get_object(), user=request.user)
        return Response(ExperimentSerializer(experiment).data)

    @action(detail=True, methods=["get"])
    def results(self, request, pk=None):
        experiment = self.get_object()
        look = experiment.looks.order_by("-day").first()
        analysis = look.analysis if look else {}
        return Response(ResultsSerializer({
            "status": experiment.status, "day": look.day if look else None,
            "information_fraction": look.information_fraction if look else 0.0,
            "verdict": analysis.get("verdict", "not_yet"),
            "headline": headline(experiment, analysis, look.day) if look else "",
            "comparisons": comparisons(analysis), "analysis": readable(analysis)}).data)

    @action(detail=True, methods=["get"])
    def export(self, request, pk=None):
        if not request.access.can_manage:
            raise Http404
        experiment = self.get_object()
        return Response(ExportSerializer({"csv": export.people_csv(experiment),
                                          "sql": export.result_sql(experiment)}).data)
