"""Pledges of time to slots (/api/v1/pledges/): cancel, check in, no-show."""

from __future__ import annotations

from django_filters.rest_framework import FilterSet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from core.filters import StrictChoiceFilter, WholeNumberFilter
from tenants.access import sees_participant_identity
from tenants.api_base import OrganisationViewSet, request_access

from ..models import Participant, Pledge, Slot
from ..services import (
    MAX_COMPANIONS,
    pledge_cancel,
    pledge_check_in,
    pledge_create,
    pledge_mark_no_show,
)


class PledgeSerializer(serializers.ModelSerializer):
    campaign = serializers.IntegerField(source="slot.campaign_id", read_only=True)
    participant_email = serializers.EmailField(source="participant.email", read_only=True)

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not sees_participant_identity(request_access(self),
                                         consented=instance.participant.consent_to_contact):
            data["participant_email"] = ""
            data["companion_names"] = ""
        return data

    class Meta:
        model = Pledge
        fields = ["id", "campaign", "slot", "participant", "participant_email", "invitation",
                  "companions", "companion_names", "status", "attendance", "hours_given",
                  "created_at", "confirmed_at", "cancelled_at", "checked_in_at",
                  "offer_expires_at", "skill"]
        read_only_fields = fields


class NewPledgeSerializer(serializers.Serializer):
    slot = serializers.PrimaryKeyRelatedField(queryset=Slot.objects.select_related("campaign"))
    participant = serializers.PrimaryKeyRelatedField(queryset=Participant.objects.all())
    companions = serializers.IntegerField(default=0, min_value=0, max_value=MAX_COMPANIONS)
    companion_names = serializers.CharField(max_length=300, required=False, allow_blank=True)


class CheckInSerializer(serializers.Serializer):
    hours = serializers.DecimalField(
        max_digits=7, decimal_places=2, required=False, allow_null=True,
        help_text="Hours given by the party; by default the slot's length for each person.")


class CancelResultSerializer(serializers.Serializer):
    pledge = PledgeSerializer()
    promoted = PledgeSerializer(many=True, help_text="Waiting-list pledges now confirmed.")


class PledgeFilter(FilterSet):
    campaign = WholeNumberFilter(field_name="slot__campaign_id", help_text="Campaign id.")
    slot = WholeNumberFilter(field_name="slot_id", help_text="Slot id.")
    status = StrictChoiceFilter(choices=Pledge.Status.choices, help_text="Pledge status.")
    attendance = StrictChoiceFilter(choices=Pledge.Attendance.choices, help_text="Attendance.")


@extend_schema_view(create=extend_schema(request=NewPledgeSerializer,
                                         responses={201: PledgeSerializer}))
class PledgeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrganisationViewSet):
    """Participants' pledges of time to slots: confirmed while seats remain, otherwise on
    the waiting list."""

    serializer_class = PledgeSerializer
    queryset = Pledge.objects.select_related("slot", "participant")
    filterset_class = PledgeFilter

    def create(self, request):
        payload = NewPledgeSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        pledge = pledge_create(**payload.validated_data)
        return Response(PledgeSerializer(pledge, context=self.get_serializer_context()).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=CancelResultSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Cancel a pledge; freed seats go to the waiting list in order."""
        pledge = self.get_object()
        promoted = pledge_cancel(pledge=pledge)
        pledge.refresh_from_db()
        return Response(CancelResultSerializer({"pledge": pledge, "promoted": promoted},
                                               context=self.get_serializer_context()).data)

    @extend_schema(request=CheckInSerializer, responses=PledgeSerializer)
    @action(detail=True, methods=["post"], url_path="check-in")
    def check_in(self, request, pk=None):
        """Record that the participant came, and the hours given."""
        payload = CheckInSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        pledge = pledge_check_in(pledge=self.get_object(), by_user=request.user,
                                 hours=payload.validated_data.get("hours"))
        return Response(PledgeSerializer(pledge, context=self.get_serializer_context()).data)

    @extend_schema(request=None, responses=PledgeSerializer)
    @action(detail=True, methods=["post"], url_path="no-show")
    def no_show(self, request, pk=None):
        """Record that the participant did not come."""
        pledge = pledge_mark_no_show(pledge=self.get_object())
        return Response(PledgeSerializer(pledge, context=self.get_serializer_context()).data)
