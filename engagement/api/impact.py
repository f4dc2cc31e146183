"""Measured results of campaigns (/api/v1/impact-records/)."""

from __future__ import annotations

from django_filters.rest_framework import FilterSet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.response import Response

from core.filters import WholeNumberFilter
from tenants.api_base import OrganisationViewSet

from ..models import Campaign, ImpactRecord, ProgrammeIndicator
from ..services import impact_record


class ImpactRecordSerializer(serializers.ModelSerializer):
    indicator_code = serializers.CharField(source="indicator.code", read_only=True)
    unit = serializers.CharField(source="indicator.unit", read_only=True)
    recorded_by = serializers.EmailField(source="recorded_by.email", default=None,
                                         read_only=True, allow_null=True)

    class Meta:
        model = ImpactRecord
        fields = ["id", "campaign", "indicator", "indicator_code", "unit", "value", "note",
                  "recorded_by", "recorded_at"]
        read_only_fields = fields


class NewImpactRecordSerializer(serializers.Serializer):
    campaign = serializers.PrimaryKeyRelatedField(queryset=Campaign.objects.all())
    indicator = serializers.PrimaryKeyRelatedField(
        queryset=ProgrammeIndicator.objects.all(),
        help_text="An indicator of the campaign's programme.")
    value = serializers.DecimalField(max_digits=12, decimal_places=2)
    note = serializers.CharField(max_length=300, required=False, allow_blank=True)


class ImpactCorrectionSerializer(serializers.Serializer):
    value = serializers.DecimalField(max_digits=12, decimal_places=2, required=False)
    note = serializers.CharField(max_length=300, required=False, allow_blank=True)


class ImpactRecordFilter(FilterSet):
    campaign = WholeNumberFilter(field_name="campaign_id", help_text="Campaign id.")


@extend_schema_view(
    create=extend_schema(request=NewImpactRecordSerializer,
                         responses={201: ImpactRecordSerializer},
                         description="Record a campaign's measured value for an indicator "
                                     "(replaces the previous value, if any)."),
    partial_update=extend_schema(request=ImpactCorrectionSerializer,
                                 responses=ImpactRecordSerializer),
)
class ImpactRecordViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin,
                          OrganisationViewSet):
    """Measured results of campaigns (kg collected, trees planted…)."""

    serializer_class = ImpactRecordSerializer
    queryset = ImpactRecord.objects.select_related("indicator", "recorded_by")
    filterset_class = ImpactRecordFilter

    def create(self, request):
        payload = NewImpactRecordSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        record = impact_record(**payload.validated_data, user=request.user)
        return Response(ImpactRecordSerializer(record).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        record = self.get_object()
        payload = ImpactCorrectionSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        record = impact_record(campaign=record.campaign, indicator=record.indicator,
                               value=data.get("value", record.value),
                               note=data.get("note", record.note), user=request.user)
        return Response(ImpactRecordSerializer(record).data)
