"""Campaigns and their time slots (/api/v1/campaigns/, /api/v1/slots/)."""

from __future__ import annotations

from django_filters.rest_framework import FilterSet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from core.filters import StrictChoiceFilter, WholeNumberFilter
from tenants.api_base import OrganisationViewSet

from ..bilingual import organisation_language
from ..models import PEOPLE_MAX, Campaign, Slot
from ..models.bilingual import LANGUAGE_CHOICES
from ..selectors import campaigns_with_mobilised
from ..services import campaign_create, campaign_open, campaign_update, slot_add, slot_set_capacity
from .bilingual import TextInLanguageField, bilingual_split


class SlotSerializer(serializers.ModelSerializer):
    seats_left = serializers.IntegerField(read_only=True)

    class Meta:
        model = Slot
        fields = ["id", "campaign", "starts_at", "ends_at", "capacity", "confirmed_seats",
                  "seats_left", "skill"]
        read_only_fields = ["id", "confirmed_seats", "seats_left", "skill"]


class SlotCapacitySerializer(serializers.Serializer):
    capacity = serializers.IntegerField(
        max_value=PEOPLE_MAX, help_text="Never below the seats already confirmed.")


class NewSlotSerializer(serializers.Serializer):
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    capacity = serializers.IntegerField(min_value=1, max_value=PEOPLE_MAX)


class CampaignSerializer(serializers.ModelSerializer):
    slots = SlotSerializer(many=True, read_only=True)
    title_fr = TextInLanguageField("title", "fr", 200)
    title_en = TextInLanguageField("title", "en", 200)
    description_fr = TextInLanguageField("description", "fr")
    description_en = TextInLanguageField("description", "en")
    mobilised = serializers.IntegerField(
        read_only=True, help_text="People confirmed, companions included, each person once.")

    class Meta:
        model = Campaign
        fields = ["id", "programme", "code", "title", "description", "content_language",
                  "title_fr", "title_en", "description_fr", "description_en", "place",
                  "latitude", "longitude", "starts_at", "ends_at", "participant_target",
                  "mobilisation_deadline", "visibility", "freed_seats", "status", "closed_at",
                  "created_at", "mobilised", "slots"]
        read_only_fields = fields


class CampaignWriteSerializer(serializers.ModelSerializer):
    """``title`` and ``description`` are in the campaign's ``content_language``;
    ``title_fr``/``title_en`` (and the descriptions) write each language, an empty one
    removing a translation."""

    slots = NewSlotSerializer(many=True, required=False, help_text=(
        "On creation only; without it, one slot covers the action with the target as "
        "capacity."))
    content_language = serializers.ChoiceField(
        choices=LANGUAGE_CHOICES, required=False, help_text=(
            "On creation only: the language of title and description (the "
            "organisation's by default)."))
    title_fr = TextInLanguageField("title", "fr", 200)
    title_en = TextInLanguageField("title", "en", 200)
    description_fr = TextInLanguageField("description", "fr")
    description_en = TextInLanguageField("description", "en")

    class Meta:
        model = Campaign
        fields = ["programme", "title", "description", "content_language", "title_fr",
                  "title_en", "description_fr", "description_en", "place", "latitude",
                  "longitude", "starts_at", "ends_at", "participant_target",
                  "mobilisation_deadline", "visibility", "freed_seats", "slots"]
        # Or through title_<language>; the service names it when neither is given.
        extra_kwargs = {"title": {"required": False}}


class CampaignFilter(FilterSet):
    status = StrictChoiceFilter(choices=Campaign.Status.choices, help_text="Campaign status.")
    programme = WholeNumberFilter(field_name="programme_id", help_text="Programme id.")
    visibility = StrictChoiceFilter(choices=Campaign.Visibility.choices,
                                    help_text="Internal or public.")


@extend_schema_view(
    create=extend_schema(request=CampaignWriteSerializer, responses={201: CampaignSerializer}),
    partial_update=extend_schema(
        request=CampaignWriteSerializer, responses=CampaignSerializer,
        description="Change a draft or open campaign; its programme and slots stay."),
)
class CampaignViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin,
                      OrganisationViewSet):
    """Campaigns, with the people mobilised so far and the seats left in each slot."""

    serializer_class = CampaignSerializer
    queryset = campaigns_with_mobilised()
    filterset_class = CampaignFilter

    def _answer(self, campaign: Campaign) -> dict:
        # Read again for the figures the list shows (mobilised, slots).
        return CampaignSerializer(self.get_queryset().get(pk=campaign.pk)).data

    def create(self, request):
        payload = CampaignWriteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        slots = [(s["starts_at"], s["ends_at"], s["capacity"]) for s in data.pop("slots", [])]
        data.setdefault("content_language", organisation_language())
        data = bilingual_split(data, content_language=data["content_language"],
                               fields=Campaign.TRANSLATED_FIELDS)
        data.setdefault("title", "")
        campaign = campaign_create(**data, slots=slots or None)
        return Response(self._answer(campaign), status=status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        payload = CampaignWriteSerializer(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        # The service refuses the fields that cannot change (programme, slots, language).
        campaign = self.get_object()
        campaign = campaign_update(campaign=campaign, **bilingual_split(
            dict(payload.validated_data), content_language=campaign.content_language,
            fields=Campaign.TRANSLATED_FIELDS))
        return Response(self._answer(campaign))

    @extend_schema(request=None, responses=CampaignSerializer)
    @action(detail=True, methods=["post"])
    def open(self, request, pk=None):
        """Open a draft campaign for pledges."""
        campaign = campaign_open(campaign=self.get_object())
        return Response(self._answer(campaign))


class SlotFilter(FilterSet):
    campaign = WholeNumberFilter(field_name="campaign_id", help_text="Campaign id.")


@extend_schema_view(
    partial_update=extend_schema(request=SlotCapacitySerializer, responses=SlotSerializer,
                                 description="Change the slot's capacity."),
)
class SlotViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrganisationViewSet):
    """Time slots of the campaigns, with their seats left."""

    serializer_class = SlotSerializer
    queryset = Slot.objects.all()
    filterset_class = SlotFilter

    @extend_schema(responses={201: SlotSerializer})
    def create(self, request):
        payload = SlotSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        slot = slot_add(**payload.validated_data)
        return Response(SlotSerializer(slot).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        payload = SlotCapacitySerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        slot = slot_set_capacity(slot=self.get_object(), **payload.validated_data)
        return Response(SlotSerializer(slot).data)
