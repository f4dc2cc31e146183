"""The join API for anonymous clients (/api/v1/public/campaigns/<code>/…): a public
campaign's page data, and joining it without an account."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from tenants import throttle

from ..links import participant_from_token
from ..models import Campaign, Participant, Pledge, Slot
from ..selectors import campaigns_with_mobilised
from ..services import MAX_COMPANIONS, campaign_join
from .bilingual import TextInLanguageField


class PublicSlotSerializer(serializers.ModelSerializer):
    seats_left = serializers.IntegerField(read_only=True)

    class Meta:
        model = Slot
        fields = ["id", "starts_at", "ends_at", "seats_left"]
        read_only_fields = fields


class PublicCampaignSerializer(serializers.ModelSerializer):
    """``title`` and ``description`` in the campaign's ``content_language``, and each
    language's text (empty when not written)."""

    title_fr = TextInLanguageField("title", "fr", 200)
    title_en = TextInLanguageField("title", "en", 200)
    description_fr = TextInLanguageField("description", "fr")
    description_en = TextInLanguageField("description", "en")
    slots = PublicSlotSerializer(many=True, read_only=True)
    mobilised = serializers.IntegerField(read_only=True)
    is_open = serializers.BooleanField(read_only=True,
                                       help_text="Whether pledges are taken now.")

    class Meta:
        model = Campaign
        fields = ["code", "title", "description", "content_language", "title_fr",
                  "title_en", "description_fr", "description_en", "place", "starts_at",
                  "ends_at",
                  "participant_target", "mobilised", "mobilisation_deadline", "is_open",
                  "slots"]
        read_only_fields = fields


class JoinSerializer(serializers.Serializer):
    email = serializers.EmailField(
        help_text="For an internal campaign, an address at one of the organisation's "
                  "domains.")
    slots = serializers.ListField(child=serializers.IntegerField(), help_text="Slot ids.")
    first_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    language = serializers.ChoiceField(choices=["fr", "en"], required=False, allow_blank=True)
    companions = serializers.IntegerField(required=False, min_value=0,
                                          max_value=MAX_COMPANIONS)
    companion_names = serializers.CharField(max_length=300, required=False, allow_blank=True)
    team = serializers.CharField(max_length=100, required=False, allow_blank=True)
    site = serializers.CharField(max_length=100, required=False, allow_blank=True)
    postcode = serializers.CharField(max_length=12, required=False, allow_blank=True)
    consent_to_contact = serializers.BooleanField(required=False)
    invitation = serializers.CharField(max_length=16, required=False, allow_blank=True,
                                       help_text="The code of the invitation link followed.")
    participant_token = serializers.CharField(
        required=False, allow_blank=True,
        help_text="The token of the participant's signed link (/me/<token>/): required to "
                  "join an internal campaign.")

    def validate_participant_token(self, value: str) -> Participant | None:
        if not value:
            return None
        participant = participant_from_token(value)
        if participant is None:
            raise serializers.ValidationError(_("This link is not valid or has expired."))
        return participant


class JoinedSlotSerializer(serializers.Serializer):
    slot = serializers.IntegerField(source="slot_id")
    starts_at = serializers.DateTimeField(source="slot.starts_at")
    ends_at = serializers.DateTimeField(source="slot.ends_at")
    confirmed = serializers.SerializerMethodField(
        help_text="True: a place is kept; false: on the waiting list, told when one frees.")

    def get_confirmed(self, obj) -> bool:
        return obj.status == Pledge.Status.CONFIRMED


class JoinResultSerializer(serializers.Serializer):
    pledges = JoinedSlotSerializer(many=True)


def _published(campaigns):
    # Drafts are not published yet: to anonymous clients they do not exist.
    return campaigns.exclude(status=Campaign.Status.DRAFT)


class PublicCampaignView(APIView):
    """A public campaign's page data, for anyone (internal campaigns are not listed)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(responses=PublicCampaignSerializer)
    def get(self, request, code: str):
        campaign = get_object_or_404(_published(campaigns_with_mobilised()),
                                     code=code, visibility=Campaign.Visibility.PUBLIC)
        return Response(PublicCampaignSerializer(campaign).data)


class PublicJoinView(APIView):
    """Pledge time to a campaign's slots, without an account. No session is read, so no
    CSRF token is needed; the rate is limited per client address and per campaign
    (``tenants.throttle``). An internal campaign takes only people with a signed
    participant link (``participant_token``).

    Joining with an address that is already a participant's records the pledge and
    changes nothing about that person; the answer tells nothing more about them, and the
    confirmation e-mail carries their signed link."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(request=JoinSerializer,
                   responses={201: JoinResultSerializer, 429: OpenApiTypes.OBJECT})
    def post(self, request, code: str):
        campaign = get_object_or_404(_published(Campaign.objects.all()), code=code)
        throttle.check_api(request, "join", subject=campaign)
        payload = JoinSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        pledges = campaign_join(campaign=campaign, slot_ids=data.pop("slots"),
                                invitation_code=data.pop("invitation", ""),
                                known_participant=data.pop("participant_token", None), **data)
        return Response(JoinResultSerializer({"pledges": pledges}).data,
                        status=status.HTTP_201_CREATED)
