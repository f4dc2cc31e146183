"""The organisation's participants (/api/v1/participants/), and their CSV import."""

from __future__ import annotations

from datetime import datetime

from django.utils.translation import gettext as _
from django_filters.rest_framework import (
    CharFilter,
    DjangoFilterBackend,
    FilterSet,
)
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import filters, mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from core.filters import StrictBooleanFilter
from tenants.access import identity_search_scope, visible_participant_fields
from tenants.api_base import OrganisationViewSet, request_access

from ..models import ConsentRecord, Participant
from ..selectors import participants_with_deliverability
from ..services import participant_upsert
from ..services.deliverability import email_deliverability_clear
from ..services.participants import MAX_FILE_BYTES, participants_import, upload_decode
from .participant_rights import ParticipantRightsMixin


class ParticipantSerializer(serializers.ModelSerializer):
    """Name and e-mail only where ``tenants.access.sees_participant_identity`` allows (the
    same rule as pages and exports); hidden ones are empty strings."""

    team = serializers.CharField(source="team.name", default="", read_only=True)
    email_undeliverable = serializers.SerializerMethodField(
        help_text="The e-mail provider reported the address undeliverable (hard bounce, "
                  "spam complaint, refusal or repeated soft bounces): nothing is sent to it.")
    email_undeliverable_reason = serializers.SerializerMethodField(
        help_text="hard_bounce, complaint, rejected or soft_bounces; empty when deliverable.")
    email_undeliverable_since = serializers.SerializerMethodField()

    def _mark(self, instance) -> tuple[datetime | None, str]:
        if not hasattr(instance, "undeliverable_since"):  # a participant just written
            instance = participants_with_deliverability(
                Participant.objects.filter(pk=instance.pk)).get()
        return instance.undeliverable_since, instance.undeliverable_reason or ""

    def get_email_undeliverable(self, instance) -> bool:
        return self._mark(instance)[0] is not None

    def get_email_undeliverable_reason(self, instance) -> str:
        return self._mark(instance)[1]

    def get_email_undeliverable_since(self, instance) -> str | None:
        since = self._mark(instance)[0]
        return serializers.DateTimeField().to_representation(since) if since else None

    def to_representation(self, instance):
        data = super().to_representation(instance)
        visible = visible_participant_fields(request_access(self), instance, set(data))
        return {key: (value if key in visible else "") for key, value in data.items()}

    class Meta:
        model = Participant
        fields = ["id", "email", "first_name", "last_name", "language", "team", "site",
                  "postcode", "age_band", "consent_to_contact", "source", "referred_by",
                  "unsubscribed_at", "email_undeliverable", "email_undeliverable_reason",
                  "email_undeliverable_since", "created_at"]
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
    consent_to_contact = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text=(
            "Only when it changes: true records a consent the organisation collected "
            "(never over the person's own withdrawal), false a withdrawal; each change is a "
            "consent record with source \"api\". Absent or null leaves it as it is."))


class ParticipantUpdateSerializer(ParticipantWriteSerializer):
    email = None  # type: ignore[assignment]  # the e-mail address is who the participant is


class ParticipantImportSerializer(serializers.Serializer):
    file = serializers.FileField(required=False, help_text="A CSV file, UTF-8.")
    text = serializers.CharField(required=False, trim_whitespace=False,
                                 help_text="The CSV text, instead of a file.")
    dry_run = serializers.BooleanField(
        default=True, help_text="Only check and count (the default); nothing is written.")
    only_valid = serializers.BooleanField(
        default=False, help_text="Import the valid rows even if others are refused.")
    consent_collected = serializers.BooleanField(
        default=False, help_text=(
            "The organisation says it collected the consent of the people marked \"yes\" "
            "in the consent column; without it those rows are refused. \"no\" never "
            "withdraws a consent."))

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
    # A field named like Serializer.errors: the report's and the error format's name.
    errors = RowErrorSerializer(many=True)  # type: ignore[assignment]


class ImportRefusedSerializer(serializers.Serializer):
    message = serializers.CharField()
    errors = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()))
    report = ImportReportSerializer(required=False, help_text=(
        "The import's report, when rows were refused (absent when the request itself is "
        "invalid)."))


class ParticipantFilter(FilterSet):
    # Teams are named, never numbered, in this API (as they are written).
    team = CharFilter(field_name="team__name", lookup_expr="iexact",
                      help_text="Team name (any case).")
    site = CharFilter(field_name="site", lookup_expr="iexact", help_text="Site name (any case).")
    email_undeliverable = StrictBooleanFilter(
        field_name="undeliverable_since", lookup_expr="isnull", exclude=True,
        help_text="true: only addresses the e-mail provider reported undeliverable.")


@extend_schema_view(
    create=extend_schema(request=ParticipantWriteSerializer,
                         responses={201: ParticipantSerializer, 200: ParticipantSerializer},
                         description="Create a participant, or complete the one with this "
                                     "e-mail address (200)."),
    partial_update=extend_schema(request=ParticipantUpdateSerializer,
                                 responses=ParticipantSerializer),
)
class ParticipantViewSet(ParticipantRightsMixin, mixins.ListModelMixin,
                         mixins.RetrieveModelMixin, OrganisationViewSet):
    """The organisation's participants (people who give time; they have no login)."""

    serializer_class = ParticipantSerializer
    queryset = participants_with_deliverability(Participant.objects.select_related("team"))
    http_method_names = [*OrganisationViewSet.http_method_names, "delete"]  # erasure
    filter_backends = [DjangoFilterBackend, filters.SearchFilter]
    filterset_class = ParticipantFilter
    search_fields = ["email", "first_name", "last_name"]

    def filter_queryset(self, queryset):
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
        participant, _created = participant_upsert(
            email=participant.email, **payload.validated_data,
            consent_source=ConsentRecord.Source.API)
        return Response(ParticipantSerializer(
            participant, context=self.get_serializer_context()).data)

    @extend_schema(request=None, responses=ParticipantSerializer, description=(
        "Lift the undeliverable mark on the participant's address (the person gave a "
        "corrected address or fixed their mailbox): e-mails go to it again. Managers."))
    @action(detail=True, methods=["post"], url_path="clear-undeliverable")
    def clear_undeliverable(self, request, pk=None):
        participant = self.get_object()
        email_deliverability_clear(participant=participant)
        return Response(ParticipantSerializer(
            self.get_queryset().get(pk=participant.pk),
            context=self.get_serializer_context()).data)

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
                                     only_valid=data["only_valid"],
                                     consent_collected=data["consent_collected"])
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
