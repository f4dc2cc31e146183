"""Invitations to campaigns, the snowball, and their funnel (/api/v1/campaign-invitations/)."""

from __future__ import annotations

from django.urls import reverse
from django_filters.rest_framework import CharFilter, FilterSet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.response import Response

from billing.codes import Option
from billing.gating import HasFeature
from core.filters import StrictChoiceFilter, WholeNumberFilter
from tenants.access import sees_every_identity
from tenants.api_base import OrganisationViewSet, request_access

from ..models import Campaign, Channel, Invitation
from ..selectors import invitations_with_funnel
from ..services import invitation_create


class CampaignInvitationSerializer(serializers.ModelSerializer):
    organiser = serializers.EmailField(source="organiser.email", default=None, read_only=True,
                                       allow_null=True, help_text="Null when a participant "
                                       "invited (see inviter) or the organiser left.")
    invitee_email = serializers.EmailField(read_only=True, allow_null=True, help_text=(
        "Null when none was recorded, or when the reader's role does not show it."))
    opened = serializers.SerializerMethodField()
    pledged = serializers.IntegerField(read_only=True,
                                       help_text="Live pledges made through it.")
    attended = serializers.IntegerField(read_only=True,
                                        help_text="Of those, pledges that attended.")
    url = serializers.SerializerMethodField(help_text="The link to share.")

    class Meta:
        model = Invitation
        fields = ["id", "campaign", "code", "url", "channel", "lever_code", "inviter",
                  "organiser", "invitee_email", "audience_label", "sent_at", "open_count",
                  "first_opened_at", "opened", "pledged", "attended"]
        read_only_fields = fields

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not sees_every_identity(request_access(self)):
            data["invitee_email"] = None  # nobody asked the invitee's consent
        data["invitee_email"] = data["invitee_email"] or None
        return data

    def get_opened(self, obj) -> bool:
        return obj.first_opened_at is not None

    def get_url(self, obj) -> str:
        path = f"{reverse('campaign_page', args=[obj.campaign.code])}?i={obj.code}"
        return self.context["request"].build_absolute_uri(path)


class NewInvitationSerializer(serializers.Serializer):
    campaign = serializers.PrimaryKeyRelatedField(queryset=Campaign.objects.all())
    channel = serializers.ChoiceField(choices=Channel.choices)
    lever_code = serializers.CharField(max_length=50,
                                       help_text="A lever of the methodology catalogue.")
    invitee_email = serializers.CharField(max_length=254, required=False, allow_blank=True,
                                          help_text="Required for the e-mail channel.")
    audience_label = serializers.CharField(max_length=200, required=False, allow_blank=True)


class CampaignInvitationFilter(FilterSet):
    campaign = WholeNumberFilter(field_name="campaign_id", help_text="Campaign id.")
    channel = StrictChoiceFilter(choices=Channel.choices, help_text="Channel.")
    lever_code = CharFilter(help_text="Lever code.")


@extend_schema_view(create=extend_schema(request=NewInvitationSerializer,
                                         responses={201: CampaignInvitationSerializer}))
class CampaignInvitationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin,
                                OrganisationViewSet):
    """Invitations to campaigns and their funnel: sent, opened, pledged, attended.
    (``/invitations/`` invites colleagues to the organisation's space.)"""

    serializer_class = CampaignInvitationSerializer
    queryset = invitations_with_funnel()
    filterset_class = CampaignInvitationFilter

    def get_permissions(self):
        # Reading the funnel is the "lever analytics" paid option; recording invitations
        # (and their links) is for everyone.
        permissions = super().get_permissions()
        if self.action in ("list", "retrieve"):
            permissions.append(HasFeature(Option.LEVER_ANALYTICS)())
        return permissions

    def create(self, request):
        payload = NewInvitationSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        invitation = invitation_create(**payload.validated_data, organiser=request.user)
        invitation = self.get_queryset().get(pk=invitation.pk)  # with its funnel figures
        return Response(self.get_serializer(invitation).data, status=status.HTTP_201_CREATED)
