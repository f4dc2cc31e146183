"""The engagement API (/api/v1/ on an organisation's host): thin views over the services.

Scoping is by construction: the host selects the organisation's schema, so querysets only
ever see that organisation's rows and another organisation's id is simply unknown (404).
The default permission (``IsOrganisationMember``) lets members read and managers write;
outsiders get 404. Only the two ``public/`` views are open to anonymous clients.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import filters, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from billing.gating import HasFeature
from methodology.models import TemplateVersion

from . import throttle
from .links import participant_from_token
from .models import (
    PEOPLE_MAX,
    Campaign,
    Channel,
    ImpactRecord,
    Invitation,
    Participant,
    Pledge,
    Programme,
    ProgrammeIndicator,
    ProgrammeStep,
    Slot,
)
from .services import (
    MAX_COMPANIONS,
    campaign_create,
    campaign_join,
    campaign_open,
    campaign_update,
    impact_record,
    invitation_create,
    mobilised_count,
    participant_upsert,
    pledge_cancel,
    pledge_check_in,
    pledge_create,
    pledge_mark_no_show,
    programme_create,
    programme_create_from_template,
    programme_delete,
    programme_update,
    slot_add,
    slot_set_capacity,
    step_set_status,
)
from .services.participants import MAX_FILE_BYTES, participants_import, upload_decode

# ---- conventions ----------------------------------------------------------------------


@dataclass(frozen=True)
class QueryFilter:
    """A list filter read from a query parameter: ``?status=open`` → ``.filter(status=…)``."""

    lookup: str
    description: str
    integer: bool = False
    choices: tuple[str, ...] = ()

    def parse(self, name: str, raw: str) -> int | str:
        if self.integer:
            if not (raw.isascii() and raw.isdigit()):
                raise serializers.ValidationError({name: [_("Enter a whole number.")]})
            return int(raw)
        if self.choices and raw not in self.choices:
            raise serializers.ValidationError({name: [_("Choose one of: %(choices)s.") % {
                "choices": ", ".join(self.choices)}]})
        return raw

    def schema(self) -> dict:
        if self.integer:
            return {"type": "integer"}
        return {"type": "string", **({"enum": list(self.choices)} if self.choices else {})}


class QueryParamFilter(filters.BaseFilterBackend):
    """Applies a view's ``query_filters``, and documents them in the OpenAPI schema."""

    def filter_queryset(self, request, queryset, view):
        for name, spec in getattr(view, "query_filters", {}).items():
            if name not in request.query_params:
                continue
            raw = request.query_params[name]
            # An empty number or choice is not "no filter" but a value the schema refuses
            # (400 naming the parameter); an empty free-text filter filters nothing.
            if raw or spec.integer or spec.choices:
                queryset = queryset.filter(**{spec.lookup: spec.parse(name, raw)})
        return queryset

    def get_schema_operation_parameters(self, view) -> list[dict]:
        return [{"name": name, "in": "query", "required": False,
                 "description": spec.description, "schema": spec.schema()}
                for name, spec in getattr(view, "query_filters", {}).items()]


class OrganisationViewSet(viewsets.GenericViewSet):
    """Base of the organisation's resources: subclasses set ``queryset`` and declare their
    list filters in ``query_filters`` rather than overriding ``get_queryset``. Changes go
    through PATCH (services take the fields they may change); nothing is deleted here."""

    filter_backends = [QueryParamFilter]
    query_filters: dict[str, QueryFilter] = {}
    http_method_names = ["get", "post", "patch", "head", "options"]


def _choices(choices) -> tuple[str, ...]:
    return tuple(choices.values)


# ---- programmes -------------------------------------------------------------------------


class ProgrammeSerializer(serializers.ModelSerializer):
    template_version = serializers.SerializerMethodField()

    class Meta:
        model = Programme
        fields = ["id", "name", "description", "starts_on", "ends_on", "action_date",
                  "participant_target", "time_zone", "template_version", "created_at"]
        read_only_fields = ["id", "created_at", "time_zone", "action_date", "template_version"]

    def get_template_version(self, obj) -> dict | None:
        version = obj.template_version
        if version is None:
            return None
        return {"id": version.pk, "slug": version.template.slug, "number": version.number}


class FromTemplateSerializer(serializers.Serializer):
    version = serializers.IntegerField(help_text="Id of a published template version.")
    name = serializers.CharField(max_length=200)
    starts_on = serializers.DateField()
    action_date = serializers.DateField()
    ends_on = serializers.DateField()
    participant_target = serializers.IntegerField(required=False, min_value=1,
                                                  max_value=PEOPLE_MAX)


class StepSerializer(serializers.ModelSerializer):
    title = serializers.SerializerMethodField()
    guidance = serializers.SerializerMethodField()
    is_overdue = serializers.BooleanField(read_only=True)

    class Meta:
        model = ProgrammeStep
        fields = ["id", "key", "phase_code", "position", "title", "guidance", "owner_role",
                  "due_offset_days", "due_at", "status", "completed_at", "is_overdue"]
        read_only_fields = [f for f in fields if f != "status"]

    def get_title(self, obj) -> dict:
        return {"fr": obj.title_fr, "en": obj.title_en}

    def get_guidance(self, obj) -> dict:
        return {"fr": obj.guidance_fr, "en": obj.guidance_en}

    def validate(self, attrs):
        # A PATCH skips "required": the status is the only thing a step change can carry.
        if "status" not in attrs:
            raise serializers.ValidationError({"status": [_("This field is required.")]})
        return attrs

    def update(self, instance, validated_data):
        return step_set_status(step=instance, status=validated_data["status"])


class ProgrammeViewSet(viewsets.ModelViewSet):
    """Programmes of the current organisation (its schema holds only its own)."""

    serializer_class = ProgrammeSerializer
    queryset = Programme.objects.select_related("template_version__template")

    def perform_create(self, serializer):
        serializer.instance = programme_create(**serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = programme_update(programme=serializer.instance,
                                               **serializer.validated_data)

    def perform_destroy(self, instance):
        programme_delete(programme=instance)

    @extend_schema(request=FromTemplateSerializer, responses={201: ProgrammeSerializer})
    @action(detail=False, methods=["post"], url_path="from-template")
    def from_template(self, request):
        """Create a programme from a published methodology version (a snapshot of it)."""
        payload = FromTemplateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        version = TemplateVersion.objects.filter(pk=data.pop("version")).first()
        if version is None or not version.is_published:
            raise serializers.ValidationError(
                {"version": ["Choose a published template version."]})
        programme = programme_create_from_template(
            version=version, time_zone=request.tenant.time_zone, **data)
        return Response(ProgrammeSerializer(programme).data, status=status.HTTP_201_CREATED)


@extend_schema_view(**{name: extend_schema(parameters=[
    OpenApiParameter("programme_pk", int, OpenApiParameter.PATH),
    *([OpenApiParameter("id", int, OpenApiParameter.PATH)] if name != "list" else []),
]) for name in ("list", "retrieve", "partial_update", "update")})
class StepViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin,
                  viewsets.GenericViewSet):
    """A programme's checklist; only the status of a step can change."""

    queryset = ProgrammeStep.objects.none()  # for the schema; requests use get_queryset

    serializer_class = StepSerializer
    pagination_class = None
    http_method_names = ["get", "patch", "head", "options"]

    def get_queryset(self):
        programme = get_object_or_404(Programme, pk=self.kwargs["programme_pk"])
        return programme.steps.all()


# ---- campaigns and slots ----------------------------------------------------------------


class SlotSerializer(serializers.ModelSerializer):
    seats_left = serializers.IntegerField(read_only=True)

    class Meta:
        model = Slot
        fields = ["id", "campaign", "starts_at", "ends_at", "capacity", "confirmed_seats",
                  "seats_left"]
        read_only_fields = ["id", "confirmed_seats", "seats_left"]


class SlotCapacitySerializer(serializers.Serializer):
    capacity = serializers.IntegerField(
        max_value=PEOPLE_MAX, help_text="Never below the seats already confirmed.")


class NewSlotSerializer(serializers.Serializer):
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    capacity = serializers.IntegerField(min_value=1, max_value=PEOPLE_MAX)


class CampaignSerializer(serializers.ModelSerializer):
    slots = SlotSerializer(many=True, read_only=True)
    mobilised = serializers.SerializerMethodField(
        help_text="People confirmed, companions included, each person once.")

    class Meta:
        model = Campaign
        fields = ["id", "programme", "code", "title", "description", "place", "latitude",
                  "longitude", "starts_at", "ends_at", "participant_target",
                  "mobilisation_deadline", "visibility", "status", "closed_at", "created_at",
                  "mobilised", "slots"]
        read_only_fields = fields

    def get_mobilised(self, obj) -> int:
        return mobilised_count(obj)


class CampaignWriteSerializer(serializers.ModelSerializer):
    slots = NewSlotSerializer(many=True, required=False, help_text=(
        "On creation only; without it, one slot covers the action with the target as "
        "capacity."))

    class Meta:
        model = Campaign
        fields = ["programme", "title", "description", "place", "latitude", "longitude",
                  "starts_at", "ends_at", "participant_target", "mobilisation_deadline",
                  "visibility", "slots"]


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
    queryset = Campaign.objects.prefetch_related("slots")
    query_filters = {
        "status": QueryFilter("status", "Campaign status.", choices=_choices(Campaign.Status)),
        "programme": QueryFilter("programme_id", "Programme id.", integer=True),
        "visibility": QueryFilter("visibility", "Internal or public.",
                                  choices=_choices(Campaign.Visibility)),
    }

    def create(self, request):
        payload = CampaignWriteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        slots = [(s["starts_at"], s["ends_at"], s["capacity"]) for s in data.pop("slots", [])]
        campaign = campaign_create(**data, slots=slots or None)
        return Response(CampaignSerializer(campaign).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        payload = CampaignWriteSerializer(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        # The service refuses the fields that cannot change (programme, slots).
        campaign = campaign_update(campaign=self.get_object(), **payload.validated_data)
        return Response(CampaignSerializer(campaign).data)

    @extend_schema(request=None, responses=CampaignSerializer)
    @action(detail=True, methods=["post"])
    def open(self, request, pk=None):
        """Open a draft campaign for pledges."""
        campaign = campaign_open(campaign=self.get_object())
        return Response(CampaignSerializer(campaign).data)


@extend_schema_view(
    partial_update=extend_schema(request=SlotCapacitySerializer, responses=SlotSerializer,
                                 description="Change the slot's capacity."),
)
class SlotViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrganisationViewSet):
    """Time slots of the campaigns, with their seats left."""

    serializer_class = SlotSerializer
    queryset = Slot.objects.all()
    query_filters = {"campaign": QueryFilter("campaign_id", "Campaign id.", integer=True)}

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


# ---- participants -----------------------------------------------------------------------


def _request_access(serializer):
    request = serializer.context.get("request")
    return getattr(request, "access", None)


class ParticipantSerializer(serializers.ModelSerializer):
    """Name and e-mail only where ``tenants.access.sees_participant_identity`` allows (the
    same rule as pages and exports); hidden ones are empty strings."""

    team = serializers.CharField(source="team.name", default="", read_only=True)

    def to_representation(self, instance):
        from tenants.access import visible_participant_fields

        data = super().to_representation(instance)
        visible = visible_participant_fields(_request_access(self), instance, set(data))
        return {key: (value if key in visible else "") for key, value in data.items()}

    class Meta:
        model = Participant
        fields = ["id", "email", "first_name", "last_name", "language", "team", "site",
                  "postcode", "age_band", "consent_to_contact", "source", "referred_by",
                  "unsubscribed_at", "created_at"]
        read_only_fields = fields


class ParticipantWriteSerializer(serializers.Serializer):
    """Empty values leave what is known unchanged (participants are completed, not
    overwritten: the same person may come from a list, a sign-up and an invitation)."""

    email = serializers.CharField(max_length=254)
    first_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    language = serializers.ChoiceField(choices=["fr", "en"], required=False, allow_blank=True)
    team = serializers.CharField(max_length=100, required=False, allow_blank=True,
                                 help_text="Team name; a new name makes a new team.")
    site = serializers.CharField(max_length=100, required=False, allow_blank=True)
    postcode = serializers.CharField(max_length=12, required=False, allow_blank=True)
    age_band = serializers.CharField(max_length=10, required=False, allow_blank=True)
    consent_to_contact = serializers.BooleanField(required=False, allow_null=True,
                                                  default=None)


class ParticipantUpdateSerializer(ParticipantWriteSerializer):
    email = None  # the e-mail address is who the participant is


class ParticipantImportSerializer(serializers.Serializer):
    file = serializers.FileField(required=False, help_text="A CSV file, UTF-8.")
    text = serializers.CharField(required=False, trim_whitespace=False,
                                 help_text="The CSV text, instead of a file.")
    dry_run = serializers.BooleanField(
        default=True, help_text="Only check and count (the default); nothing is written.")
    only_valid = serializers.BooleanField(
        default=False, help_text="Import the valid rows even if others are refused.")

    def validate(self, attrs):
        if ("file" in attrs) == ("text" in attrs):
            raise serializers.ValidationError(
                {"file": [_("Send either a CSV file or its text.")]})
        return attrs


class RowErrorSerializer(serializers.Serializer):
    line = serializers.IntegerField(help_text="Line of the file; the header is line 1.")
    column = serializers.CharField(allow_null=True)
    message = serializers.CharField()


class ImportReportSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField()
    only_valid = serializers.BooleanField()
    imported = serializers.BooleanField(help_text="Whether anything was written.")
    rows = serializers.IntegerField()
    valid_rows = serializers.IntegerField()
    created = serializers.IntegerField(help_text="New participants (to be) created.")
    updated = serializers.IntegerField(help_text="Known participants (to be) completed.")
    errors = RowErrorSerializer(many=True)


class ImportRefusedSerializer(serializers.Serializer):
    message = serializers.CharField()
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))
    report = ImportReportSerializer(required=False, help_text=(
        "The import's report, when rows were refused (absent when the request itself is "
        "invalid)."))


@extend_schema_view(
    create=extend_schema(request=ParticipantWriteSerializer,
                         responses={201: ParticipantSerializer, 200: ParticipantSerializer},
                         description="Create a participant, or complete the one with this "
                                     "e-mail address (200)."),
    partial_update=extend_schema(request=ParticipantUpdateSerializer,
                                 responses=ParticipantSerializer),
)
class ParticipantViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin,
                         OrganisationViewSet):
    """The organisation's participants (people who give time; they have no login)."""

    serializer_class = ParticipantSerializer
    queryset = Participant.objects.select_related("team")
    filter_backends = [QueryParamFilter, filters.SearchFilter]
    search_fields = ["email", "first_name", "last_name"]
    query_filters = {
        # Teams are named, never numbered, in this API (as they are written).
        "team": QueryFilter("team__name__iexact", "Team name (any case)."),
        "site": QueryFilter("site__iexact", "Site name (any case)."),
    }

    def filter_queryset(self, queryset):
        from tenants.access import identity_search_scope

        if self.request.query_params.get("search"):
            # A search by name or e-mail finds only people whose identity the reader sees.
            queryset = identity_search_scope(self.request.access, queryset,
                                             "consent_to_contact")
        return super().filter_queryset(queryset)

    def create(self, request):
        payload = ParticipantWriteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        participant, created = participant_upsert(**payload.validated_data,
                                                  source=Participant.Source.API)
        return Response(ParticipantSerializer(
            participant, context=self.get_serializer_context()).data,
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    def partial_update(self, request, pk=None):
        participant = self.get_object()
        payload = ParticipantUpdateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        participant, _created = participant_upsert(email=participant.email,
                                                   **payload.validated_data)
        return Response(ParticipantSerializer(
            participant, context=self.get_serializer_context()).data)

    @extend_schema(request={"multipart/form-data": ParticipantImportSerializer,
                            "application/json": ParticipantImportSerializer},
                   responses={200: ImportReportSerializer, 400: ImportRefusedSerializer},
                   description=(
                       "Check (dry_run, the default) or import a CSV list: email (required), "
                       "first_name, last_name, team, site, postcode, age_band, language, "
                       "consent. A real import with refused rows imports nothing unless "
                       "only_valid, and answers 400 with the error format plus the report."))
    @action(detail=False, methods=["post"], url_path="import")
    def import_csv(self, request):
        payload = ParticipantImportSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        # One byte past the limit is enough to refuse a file that is too large.
        text = (upload_decode(data=data["file"].read(MAX_FILE_BYTES + 1)) if "file" in data
                else data["text"])
        report = participants_import(text=text, dry_run=data["dry_run"],
                                     only_valid=data["only_valid"])
        body = ImportReportSerializer(report).data
        if report.dry_run or report.imported or not report.errors:
            return Response(body)
        return Response({
            "message": _("Nothing was imported: %(n)s row(s) have errors.") % {
                "n": report.invalid_rows},
            "errors": {"csv": [_("Line %(line)s, %(column)s: %(message)s") % {
                "line": e.line, "column": e.column or "—", "message": e.message}
                for e in report.errors]},
            "report": body,
        }, status=status.HTTP_400_BAD_REQUEST)


# ---- pledges ----------------------------------------------------------------------------


class PledgeSerializer(serializers.ModelSerializer):
    campaign = serializers.IntegerField(source="slot.campaign_id", read_only=True)
    participant_email = serializers.EmailField(source="participant.email", read_only=True)

    def to_representation(self, instance):
        from tenants.access import sees_participant_identity

        data = super().to_representation(instance)
        if not sees_participant_identity(_request_access(self),
                                         consented=instance.participant.consent_to_contact):
            data["participant_email"] = ""
            data["companion_names"] = ""
        return data

    class Meta:
        model = Pledge
        fields = ["id", "campaign", "slot", "participant", "participant_email", "invitation",
                  "companions", "companion_names", "status", "attendance", "hours_given",
                  "created_at", "confirmed_at", "cancelled_at", "checked_in_at"]
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


@extend_schema_view(create=extend_schema(request=NewPledgeSerializer,
                                         responses={201: PledgeSerializer}))
class PledgeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrganisationViewSet):
    """Participants' pledges of time to slots: confirmed while seats remain, otherwise on
    the waiting list."""

    serializer_class = PledgeSerializer
    queryset = Pledge.objects.select_related("slot", "participant")
    query_filters = {
        "campaign": QueryFilter("slot__campaign_id", "Campaign id.", integer=True),
        "slot": QueryFilter("slot_id", "Slot id.", integer=True),
        "status": QueryFilter("status", "Pledge status.", choices=_choices(Pledge.Status)),
        "attendance": QueryFilter("attendance", "Attendance.",
                                  choices=_choices(Pledge.Attendance)),
    }

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


# ---- invitations (the snowball) ---------------------------------------------------------


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
        from tenants.access import sees_every_identity

        data = super().to_representation(instance)
        if not sees_every_identity(_request_access(self)):
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


@extend_schema_view(create=extend_schema(request=NewInvitationSerializer,
                                         responses={201: CampaignInvitationSerializer}))
class CampaignInvitationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin,
                                OrganisationViewSet):
    """Invitations to campaigns and their funnel: sent, opened, pledged, attended.
    (``/invitations/`` invites colleagues to the organisation's space.)"""

    serializer_class = CampaignInvitationSerializer
    # Counted like selectors.invitation_funnel; a GROUP BY drops Meta.ordering, so it is
    # spelled out for stable pages.
    queryset = (Invitation.objects.select_related("campaign", "organiser")
                .annotate(pledged=Count("pledges",
                                        filter=~Q(pledges__status=Pledge.Status.CANCELLED)),
                          attended=Count("pledges", filter=Q(
                              pledges__attendance=Pledge.Attendance.ATTENDED)))
                .order_by("-sent_at", "-id"))
    query_filters = {
        "campaign": QueryFilter("campaign_id", "Campaign id.", integer=True),
        "channel": QueryFilter("channel", "Channel.", choices=_choices(Channel)),
        "lever_code": QueryFilter("lever_code", "Lever code."),
    }

    def get_permissions(self):
        # Reading the funnel is the "lever analytics" paid option; recording invitations
        # (and their links) is for everyone.
        permissions = super().get_permissions()
        if self.action in ("list", "retrieve"):
            permissions.append(HasFeature("lever_analytics")())
        return permissions

    def create(self, request):
        payload = NewInvitationSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        invitation = invitation_create(**payload.validated_data, organiser=request.user)
        invitation = self.get_queryset().get(pk=invitation.pk)  # with its funnel figures
        return Response(self.get_serializer(invitation).data, status=status.HTTP_201_CREATED)


# ---- impact -----------------------------------------------------------------------------


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
    query_filters = {"campaign": QueryFilter("campaign_id", "Campaign id.", integer=True)}

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


# ---- public: the join API for anonymous clients ------------------------------------------


class PublicSlotSerializer(serializers.ModelSerializer):
    seats_left = serializers.IntegerField(read_only=True)

    class Meta:
        model = Slot
        fields = ["id", "starts_at", "ends_at", "seats_left"]
        read_only_fields = fields


class PublicCampaignSerializer(serializers.ModelSerializer):
    slots = PublicSlotSerializer(many=True, read_only=True)
    mobilised = serializers.SerializerMethodField()
    is_open = serializers.BooleanField(read_only=True,
                                       help_text="Whether pledges are taken now.")

    class Meta:
        model = Campaign
        fields = ["code", "title", "description", "place", "starts_at", "ends_at",
                  "participant_target", "mobilised", "mobilisation_deadline", "is_open",
                  "slots"]
        read_only_fields = fields

    def get_mobilised(self, obj) -> int:
        return mobilised_count(obj)


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


def _published_campaigns():
    # Drafts are not published yet: to anonymous clients they do not exist.
    return Campaign.objects.exclude(status=Campaign.Status.DRAFT)


class PublicCampaignView(APIView):
    """A public campaign's page data, for anyone (internal campaigns are not listed)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(responses=PublicCampaignSerializer)
    def get(self, request, code: str):
        campaign = get_object_or_404(_published_campaigns().prefetch_related("slots"),
                                     code=code, visibility=Campaign.Visibility.PUBLIC)
        return Response(PublicCampaignSerializer(campaign).data)


class PublicJoinView(APIView):
    """Pledge time to a campaign's slots, without an account. No session is read, so no
    CSRF token is needed; the rate is limited per client address and per campaign
    (``engagement.throttle``). An internal campaign takes only people with a signed
    participant link (``participant_token``).

    Joining with an address that is already a participant's records the pledge and
    changes nothing about that person; the answer tells nothing more about them, and the
    confirmation e-mail carries their signed link."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(request=JoinSerializer,
                   responses={201: JoinResultSerializer, 429: OpenApiTypes.OBJECT})
    def post(self, request, code: str):
        campaign = get_object_or_404(_published_campaigns(), code=code)
        throttle.check_api(request, "join", subject=campaign)
        payload = JoinSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        pledges = campaign_join(campaign=campaign, slot_ids=data.pop("slots"),
                                invitation_code=data.pop("invitation", ""),
                                known_participant=data.pop("participant_token", None), **data)
        return Response(JoinResultSerializer({"pledges": pledges}).data,
                        status=status.HTTP_201_CREATED)
