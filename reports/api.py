"""The metrics API (/api/v1/metrics/...): thin read-only views over ``reports.metrics``
and ``reports.levers``. The serializers document the dicts' shape in the OpenAPI schema.

Members read (the default ``IsOrganisationMember`` permission; outsiders get 404); the
lever analysis is the ``Option.LEVER_ANALYTICS`` paid option.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from billing.codes import Option
from billing.gating import HasFeature
from engagement.models import Campaign, Programme
from tenants.api_base import OrganisationViewSet

from .csrd import csrd_applies, csrd_figures
from .figures import campaign_figures, lever_figures, period_figures, programme_figures
from .levers import SEGMENTS
from .models import Report
from .services import report_request

# ---- the shape of reports.metrics' dicts ------------------------------------------------


class ScopeSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["campaign", "programme", "period", "team"])
    id = serializers.IntegerField(allow_null=True)
    name = serializers.CharField()
    start = serializers.DateField(allow_null=True)
    end = serializers.DateField(allow_null=True)


class ParticipantFiguresSerializer(serializers.Serializer):
    mobilised = serializers.IntegerField(help_text="People with a confirmed pledge.")
    new = serializers.IntegerField()
    returning = serializers.IntegerField(
        help_text="Had a confirmed pledge in a campaign starting earlier.")
    with_companions = serializers.IntegerField()


class HoursSerializer(serializers.Serializer):
    pledged = serializers.FloatField(help_text="Slot length × seats of confirmed pledges.")
    attended = serializers.FloatField(help_text="Hours given by attended pledges.")


class ValueSerializer(serializers.Serializer):
    amount = serializers.FloatField(help_text="Euros: the hours given (attended), each "
                                              "valued at its skill's rate when it was "
                                              "skills-based, else at the hour value.")
    skills_based_hours = serializers.FloatField(help_text="Hours given as skills-based "
                                                          "volunteering.")
    skills_based_amount = serializers.FloatField()
    hour_value = serializers.FloatField(help_text="The organisation's value of an hour "
                                                  "given, in euros.")
    currency = serializers.CharField()


class AttendanceSerializer(serializers.Serializer):
    confirmed = serializers.IntegerField(help_text="Confirmed pledges of actions that are "
                                                   "over.")
    attended = serializers.IntegerField()
    no_show = serializers.IntegerField()
    attendance_rate = serializers.FloatField()
    no_show_rate = serializers.FloatField()


class CampaignFiguresSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    decided = serializers.IntegerField()
    succeeded = serializers.IntegerField()
    success_rate = serializers.FloatField()


class ImpactTotalSerializer(serializers.Serializer):
    code = serializers.CharField()
    unit = serializers.CharField()
    label_fr = serializers.CharField()
    label_en = serializers.CharField()
    sdg = serializers.IntegerField()
    total = serializers.FloatField()


class InvitationFiguresSerializer(serializers.Serializer):
    sent = serializers.IntegerField()
    pledged = serializers.IntegerField()
    conversion = serializers.FloatField()
    sent_by_participants = serializers.IntegerField()
    pledged_by_participants = serializers.IntegerField()
    per_participant = serializers.FloatField()
    participant_conversion = serializers.FloatField()


class SnowballSerializer(serializers.Serializer):
    generations = serializers.IntegerField(help_text="Referral hops below the first people.")
    largest_tree = serializers.IntegerField()
    viral_coefficient = serializers.FloatField()
    brought_pledged = serializers.IntegerField(
        help_text="People brought by a participant: their first confirmed pledge in scope "
                  "came through that participant's invitation.")
    brought_attended = serializers.IntegerField(
        help_text="Of the people brought, those who attended.")


class MetricsSerializer(serializers.Serializer):
    scope = ScopeSerializer()
    participants = ParticipantFiguresSerializer()
    hours = HoursSerializer()
    value = ValueSerializer()
    attendance = AttendanceSerializer()
    campaigns = CampaignFiguresSerializer()
    impact = ImpactTotalSerializer(many=True)
    invitations = InvitationFiguresSerializer()
    snowball = SnowballSerializer()


class RateSerializer(serializers.Serializer):
    rate = serializers.FloatField()
    low = serializers.FloatField(help_text="95 % Wilson interval, lower bound.")
    high = serializers.FloatField(help_text="95 % Wilson interval, upper bound.")


class LeverRowSerializer(serializers.Serializer):
    dimension = serializers.ChoiceField(choices=["lever", "channel"])
    key = serializers.CharField()
    segment = serializers.CharField()
    is_other = serializers.BooleanField()
    people = serializers.IntegerField()
    sent = serializers.IntegerField()
    pledged = serializers.IntegerField()
    attended = serializers.IntegerField()
    conversion = RateSerializer()
    attendance = RateSerializer()


# ---- query parameters -------------------------------------------------------------------


class PeriodQuerySerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()

    def validate(self, attrs):
        if attrs["end"] < attrs["start"]:
            raise serializers.ValidationError({"end": ["The end is before the start."]})
        return attrs


class LeverQuerySerializer(serializers.Serializer):
    programme = serializers.IntegerField(required=False, min_value=1)
    campaign = serializers.IntegerField(required=False, min_value=1)
    segment = serializers.ChoiceField(choices=sorted(SEGMENTS), default="team")


# ---- views ------------------------------------------------------------------------------


class SingleResultSchema(AutoSchema):
    """A ``list`` route answering one object (computed figures, not a collection)."""

    def _is_list_view(self, serializer=None) -> bool:
        return False


class CampaignMetricsViewSet(mixins.RetrieveModelMixin, OrganisationViewSet):
    """A campaign's figures (see ``reports.metrics``)."""

    queryset = Campaign.objects.all()
    serializer_class = MetricsSerializer

    def retrieve(self, request, pk=None):
        return Response(MetricsSerializer(campaign_figures(self.get_object()).data).data)


class ProgrammeMetricsViewSet(mixins.RetrieveModelMixin, OrganisationViewSet):
    """A programme's figures, all its campaigns together."""

    queryset = Programme.objects.all()
    serializer_class = MetricsSerializer

    def retrieve(self, request, pk=None):
        return Response(MetricsSerializer(programme_figures(self.get_object()).data).data)


class PeriodMetricsViewSet(OrganisationViewSet):
    """Figures of the campaigns starting in a period (both dates included)."""

    serializer_class = MetricsSerializer
    schema = SingleResultSchema()
    pagination_class = None

    @extend_schema(parameters=[PeriodQuerySerializer], responses=MetricsSerializer)
    def list(self, request):
        query = PeriodQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return Response(MetricsSerializer(period_figures(**query.validated_data).data).data)


class CsrdFiguresSerializer(serializers.Serializer):
    employees = serializers.IntegerField(help_text="Employees who attended an action of an "
                                                   "internal campaign in the period.")
    share_of_workforce = serializers.FloatField(
        allow_null=True, help_text="Fraction of the workforce size (null when the "
                                   "organisation has not set its workforce size).")
    hours = serializers.FloatField()
    hours_per_employee = serializers.FloatField(help_text="Per participating employee.")
    amount = serializers.FloatField(help_text="Euros, valued like the metrics' value.")
    skills_based_hours = serializers.FloatField()
    skills_based_amount = serializers.FloatField()


class CsrdGroupSerializer(CsrdFiguresSerializer):
    dimension = serializers.ChoiceField(choices=["site", "team"])
    name = serializers.CharField()


class CsrdPeriodSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()


class CsrdSerializer(serializers.Serializer):
    period = CsrdPeriodSerializer()
    workforce_size = serializers.IntegerField(allow_null=True)
    hour_value = serializers.FloatField()
    currency = serializers.CharField()
    total = CsrdFiguresSerializer()
    groups = CsrdGroupSerializer(many=True, help_text="Sites and teams of at least five "
                                                      "employees.")
    hidden_groups = serializers.IntegerField(
        help_text="Groups left out: under five people, or the smallest shown when the "
                  "total minus the groups shown would reveal fewer than five.")


class CsrdViewSet(OrganisationViewSet):
    """Own-workforce volunteering figures of a period for CSRD reporting (ESRS S1), the
    same as the CSV on the value-of-time page (docs/csrd.md)."""

    serializer_class = CsrdSerializer
    schema = SingleResultSchema()
    pagination_class = None
    filter_backends: list = []

    @extend_schema(parameters=[PeriodQuerySerializer], responses=CsrdSerializer)
    def list(self, request):
        if not csrd_applies():  # a company's figures only, as on the pages
            raise NotFound()
        query = PeriodQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return Response(CsrdSerializer(csrd_figures(**query.validated_data)).data)


class LeverAnalysisViewSet(OrganisationViewSet):
    """Conversion and attendance by lever and channel, per segment (paid option)."""

    serializer_class = LeverRowSerializer
    pagination_class = None
    filter_backends: list = []  # computed rows, not a queryset: its parameters are below
    permission_classes = [*OrganisationViewSet.permission_classes,
                          HasFeature(Option.LEVER_ANALYTICS)]

    @extend_schema(parameters=[LeverQuerySerializer], responses=LeverRowSerializer(many=True))
    def list(self, request):
        query = LeverQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        # Unknown ids (or another organisation's) are 404, like every lookup by id.
        campaign = self._get(Campaign, data.get("campaign"))
        programme = self._get(Programme, data.get("programme"))
        rows = lever_figures(campaign=campaign, programme=programme,
                             segment=data["segment"]).data
        return Response(LeverRowSerializer(rows, many=True).data)

    @staticmethod
    def _get(model, pk: int | None):
        return None if pk is None else get_object_or_404(model, pk=pk)


# ---- PDF reports (/api/v1/reports/) --------------------------------------------------------

class ReportSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Report
        fields = ["id", "scope", "campaign", "programme", "period_start", "period_end",
                  "language", "title", "status", "error", "pages", "requested_at",
                  "started_at", "finished_at", "file_deleted_at", "download_url"]
        read_only_fields = fields

    def get_download_url(self, obj) -> str | None:
        if obj.status != Report.Status.READY or obj.file_deleted_at is not None:
            return None
        return reverse("report_download", args=[obj.pk])


class ReportRequestSerializer(serializers.Serializer):
    scope = serializers.ChoiceField(choices=Report.Scope.choices)
    campaign = serializers.IntegerField(required=False)
    programme = serializers.IntegerField(required=False)
    period_start = serializers.DateField(required=False)
    period_end = serializers.DateField(required=False)
    language = serializers.ChoiceField(choices=["fr", "en"], default="fr")


class ReportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrganisationViewSet):
    """The organisation's PDF impact reports: request one (managers), follow its status,
    download it when ready (the file is at ``download_url``)."""

    serializer_class = ReportSerializer
    queryset = Report.objects.select_related("campaign", "programme").order_by(
        "-requested_at")

    @extend_schema(request=ReportRequestSerializer, responses={201: ReportSerializer})
    def create(self, request):
        payload = ReportRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        campaign = get_object_or_404(Campaign, pk=data.pop("campaign")) \
            if data.get("campaign") else None
        programme = get_object_or_404(Programme, pk=data.pop("programme")) \
            if data.get("programme") else None
        data.pop("campaign", None)
        data.pop("programme", None)
        report = report_request(campaign=campaign, programme=programme, user=request.user,
                                **data)
        return Response(ReportSerializer(report).data, status=201)
