"""``GET /api/v1/evidence/``: the published evidence across organisations for a template
(and optionally one lever, one audience), with the organisation's own outcomes beside it.
Only published cells carry figures; a suppressed one says so. Members read it."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.tenancy import current_organisation
from engagement.evidence import own_template_outcomes
from methodology.evidence import KINDS, benchmark, levers_by_conversion, template_success


class IntervalSerializer(serializers.Serializer):
    rate = serializers.FloatField(help_text="A fraction from 0 to 1.")
    low = serializers.FloatField(
        help_text="95% interval, lower bound (variance clustered by organisation).")
    high = serializers.FloatField(
        help_text="95% interval, upper bound (variance clustered by organisation).")


class CellSerializer(serializers.Serializer):
    published = serializers.BooleanField(
        help_text="False: under 5 organisations or 5 people, or withheld; no figures.")
    organisations = serializers.IntegerField(required=False)
    people = serializers.IntegerField(required=False)
    success = IntervalSerializer(required=False, allow_null=True,
                                 help_text="Campaigns that reached their target.")
    conversion = IntervalSerializer(required=False, allow_null=True,
                                    help_text="Invitations that led to a pledge.")
    attendance = IntervalSerializer(required=False, allow_null=True,
                                    help_text="Pledges that were attended.")


class LeverCellSerializer(CellSerializer):
    lever = serializers.CharField(source="code", help_text="The lever's code.")
    name = serializers.CharField(help_text="The lever's name in the reader's language.")


class BenchmarkSerializer(CellSerializer):
    description = serializers.CharField(
        source="label", required=False,
        help_text="What the benchmark is, in the reader's language: same template, kind of "
        "organisation, organisations behind it.")
    fallback = serializers.BooleanField(
        required=False, help_text="True: your kind of organisation is not published yet, "
        "the benchmark is of every kind.")


class OwnSerializer(serializers.Serializer):
    decided = serializers.IntegerField(help_text="Your campaigns from it that have ended.")
    reached = serializers.IntegerField(help_text="... of which reached their target.")


class EvidenceSerializer(serializers.Serializer):
    template = serializers.CharField()
    audience = serializers.CharField(help_text="Organisation kind, or empty for all.")
    success = CellSerializer()
    levers = LeverCellSerializer(many=True)
    own = OwnSerializer()
    benchmark = BenchmarkSerializer(
        help_text="The benchmark shown beside your own figures on every page: the "
        "template's campaigns in organisations of your kind (of every kind while yours is "
        "not published).")


class EvidenceQuerySerializer(serializers.Serializer):
    template = serializers.SlugField(help_text="The methodology template's slug.")
    lever = serializers.SlugField(required=False)
    audience = serializers.CharField(
        required=False, default="", allow_blank=True,
        help_text="Organisation kind: company, local_authority or association; empty: all.")

    def validate_audience(self, value: str) -> str:
        if value and value not in KINDS:
            raise serializers.ValidationError(
                f"Choose one of: {', '.join(KINDS)}, or leave it empty.")
        return value


class EvidenceView(APIView):
    @extend_schema(parameters=[EvidenceQuerySerializer], responses=EvidenceSerializer)
    def get(self, request: Request) -> Response:
        query = EvidenceQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        levers = levers_by_conversion(data["template"], kind=data["audience"])
        if data.get("lever"):
            levers = [row for row in levers if row["code"] == data["lever"]]
        return Response(EvidenceSerializer({
            "template": data["template"], "audience": data["audience"],
            "success": template_success(data["template"], kind=data["audience"]),
            "levers": levers,
            "own": own_template_outcomes(data["template"]),
            "benchmark": benchmark(data["template"], current_organisation().kind),
        }).data)
