"""Invitations to campaigns, the snowball, and their funnel (/api/v1/campaign-invitations/)."""

from __future__ import annotations

from django.urls import reverse
from django_filters.rest_framework import CharFilter, FilterSet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.reverse import reverse as api_reverse

from billing.codes import Option
from billing.gating import HasFeature
from core.filters import StrictChoiceFilter, WholeNumberFilter
from tenants.access import sees_every_identity
from tenants.api_base import OrganisationViewSet, request_access

from ..models import Campaign, Channel, Invitation, InvitationBatch, Team
from ..selectors import invitations_with_funnel
from ..services import invitation_create
from ..services.invitation_jobs import invitation_job_create
from ..services.outreach import (
    BULK_CHANNELS,
    bulk_audience,
    bulk_preview,
    bulk_send_check,
)
from .invitation_jobs import InvitationJobSerializer

# The channels a bulk send may record (the API schema names this set BulkChannelEnum).
BULK_CHANNEL_CHOICES = [(c, Channel(c).label) for c in BULK_CHANNELS]
BULK_AUDIENCES = [choice for choice in InvitationBatch.Audience.choices
                  if choice[0] != InvitationBatch.Audience.CAMPAIGN]


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


class BulkInvitationSerializer(serializers.Serializer):
    campaign = serializers.PrimaryKeyRelatedField(queryset=Campaign.objects.all())
    audience = serializers.ChoiceField(choices=BULK_AUDIENCES, help_text=(
        "all, imported (people from imported lists), team, site, never_pledged."))
    team = serializers.PrimaryKeyRelatedField(queryset=Team.objects.all(), required=False,
                                              allow_null=True,
                                              help_text="Required for the team audience.")
    site = serializers.CharField(max_length=100, required=False, allow_blank=True,
                                 help_text="Required for the site audience.")
    lever_code = serializers.CharField(max_length=50,
                                       help_text="A lever of the methodology catalogue.")
    channel = serializers.ChoiceField(choices=BULK_CHANNEL_CHOICES)
    dry_run = serializers.BooleanField(default=True, help_text=(
        "True (the default): only count who would be invited. False: send."))


class BulkInvitationResultSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField()
    audience = serializers.IntegerField(help_text="People in the group.")
    unsubscribed = serializers.IntegerField(help_text="Left out: unsubscribed or no address.")
    no_consent = serializers.IntegerField(help_text="Left out: no consent to hear about "
                                          "future actions.")
    already_pledged = serializers.IntegerField()
    already_invited = serializers.IntegerField()
    to_invite = serializers.IntegerField(help_text="Would be (or were) invited.")
    allowance_left = serializers.IntegerField(help_text="Bulk invitations the organisation "
                                              "may still send this hour.")
    batch = serializers.IntegerField(allow_null=True, help_text="The send, when not a dry "
                                     "run.")
    invited = serializers.IntegerField(help_text="Invitations recorded (0 in a dry run); "
                                       "their e-mails go out under the hourly allowance.")
    sent_this_hour = serializers.IntegerField(help_text="Of those, e-mails sent this hour "
                                              "(0 in a dry run).")
    later_hours = serializers.IntegerField(help_text="Hours the rest of the e-mails take, "
                                           "one allowance each (0 when all go out now).")
    message = serializers.CharField(help_text="The same, in the request's language "
                                    "(empty in a dry run).")


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

    @extend_schema(request=BulkInvitationSerializer,
                   responses={200: BulkInvitationResultSerializer,
                              202: InvitationJobSerializer})
    @action(detail=False, methods=["post"], url_path="bulk")
    def bulk(self, request):
        """Invite a whole group in one go: everyone, people from imported lists, a team, a
        site, or people who never pledged. Left out: the unsubscribed, those without
        consent to hear about future actions, those already invited to the campaign or
        pledged to it. A dry run (the default) answers 200 with the counts. Otherwise the
        answer is 202 with a job (``Location``: /invitation-jobs/{id}/): the worker records
        each invitation with the lever and channel, however large the group, with the job's
        progress; then the e-mails go out through the outbox, the organisation's hourly
        allowance (``BULK_INVITATIONS_PER_HOUR``) spreading them over the next hours (the
        done job's ``report``: ``invited``, ``sent_this_hour``, ``later_hours``)."""
        payload = BulkInvitationSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        team = data.get("team")
        audience = bulk_audience(kind=data["audience"], team_id=team.pk if team else None,
                                 site=data.get("site", ""))
        campaign = data["campaign"]
        bulk_send_check(campaign=campaign, lever_code=data["lever_code"],
                        channel=data["channel"])
        if not data["dry_run"]:
            job = invitation_job_create(campaign=campaign, audience=audience,
                                        lever_code=data["lever_code"],
                                        channel=data["channel"], organiser=request.user)
            location = api_reverse("invitation-job-detail", args=[job.pk], request=request)
            return Response(InvitationJobSerializer(job).data,
                            status=status.HTTP_202_ACCEPTED, headers={"Location": location})
        preview = bulk_preview(campaign=campaign, audience=audience)
        return Response({**vars(preview), "dry_run": True, "batch": None, "invited": 0,
                         "sent_this_hour": 0, "later_hours": 0, "message": ""},
                        status=status.HTTP_200_OK)
