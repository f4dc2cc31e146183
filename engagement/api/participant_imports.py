"""Participant imports as jobs (/api/v1/participant-imports/): the list is checked, then
imported, by the worker, whatever its size; the client follows the job's progress.

1. ``POST /participant-imports/`` with the file (or its text): 202, ``Location`` names the
   job; the worker checks the list (nothing written).
2. ``GET /participant-imports/{id}/`` until ``status`` is ``checked`` (or ``failed``):
   ``processed`` of ``total`` rows, then the check's ``report``.
3. ``POST /participant-imports/{id}/confirm/`` (``only_valid`` when rows were refused): 202;
   the worker writes the list in one transaction (all of it or nothing).
4. ``GET`` again until ``done``: the ``report`` counts who was created and completed.

``POST /participants/import/`` still checks or imports a list within the request (the
same rules and bulk writing); the jobs are for lists of any size. Managers and owners only:
a report quotes the file's values."""

from __future__ import annotations

from drf_spectacular.utils import (
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response

from core.roles import Role
from tenants.api_base import OrganisationViewSet

from ..models import BulkJob
from ..services.bulk_jobs import import_job_confirm, import_job_create
from ..services.participants import MAX_FILE_BYTES, upload_decode
from .participants import ParticipantImportSerializer, RowErrorSerializer


class ImportJobCreateSerializer(ParticipantImportSerializer):
    dry_run = None  # type: ignore[assignment]  # a job always checks first
    only_valid = None  # type: ignore[assignment]  # chosen at the confirmation


class ImportJobConfirmSerializer(serializers.Serializer):
    only_valid = serializers.BooleanField(
        default=False, help_text="Import the valid rows even though others were refused.")


class ImportJobReportSerializer(serializers.Serializer):
    """Every key but ``message`` is there once the file could be read."""

    dry_run = serializers.BooleanField(help_text="A check's report (nothing written).")
    only_valid = serializers.BooleanField()
    imported = serializers.BooleanField(help_text="Whether anything was written.")
    rows = serializers.IntegerField()
    valid_rows = serializers.IntegerField()
    invalid_rows = serializers.IntegerField()
    created = serializers.IntegerField(help_text="New participants (to be) created.")
    updated = serializers.IntegerField(help_text="Known participants (to be) completed.")
    errors = RowErrorSerializer(many=True)  # type: ignore[assignment]
    message = serializers.CharField(required=False, help_text="Why the job failed.")


class ImportJobSerializer(serializers.ModelSerializer):
    percent = serializers.IntegerField(read_only=True, help_text="processed of total, 0-100.")
    report = serializers.SerializerMethodField(help_text=(
        "The check's report once status is checked, the import's once done; on failed, "
        "its message says why (with the counts when the file could be read). Null before "
        "the check."))
    confirmed = serializers.SerializerMethodField(
        help_text="The organiser confirmed the import (the job is past its check).")

    def get_confirmed(self, job) -> bool:
        return bool(job.options.get("confirmed"))

    @extend_schema_field(ImportJobReportSerializer(allow_null=True))
    def get_report(self, job) -> dict | None:
        return job.report or None

    class Meta:
        model = BulkJob
        fields = ["id", "kind", "status", "total", "processed", "percent", "confirmed",
                  "report", "created_at", "started_at", "finished_at"]
        read_only_fields = fields


class ManagersOnlyNotFound:
    """Members below manager learn nothing, not even that a job exists: 404, as for a
    person's rights (an import's report quotes the file's values; a send names people)."""

    def check_permissions(self, request):
        try:
            super().check_permissions(request)
        except PermissionDenied:
            if getattr(request, "access", None) is None:
                raise
            raise NotFound from None
        access = getattr(request, "access", None)
        if access is not None and not access.at_least(Role.MANAGER):
            raise NotFound


@extend_schema_view(
    list=extend_schema(description="The organisation's participant imports, newest first. "
                                   "Managers and owners."),
    retrieve=extend_schema(description="A participant import's state, progress and report."),
)
class ParticipantImportJobViewSet(ManagersOnlyNotFound, mixins.ListModelMixin,
                                  mixins.RetrieveModelMixin,
                                  OrganisationViewSet):
    """Participant imports run by the worker, with their progress."""

    serializer_class = ImportJobSerializer
    queryset = BulkJob.objects.filter(kind=BulkJob.Kind.IMPORT)


    @extend_schema(
        request={"multipart/form-data": ImportJobCreateSerializer,
                 "application/json": ImportJobCreateSerializer},
        responses={202: ImportJobSerializer},
        description="Start an import: the worker checks the list (nothing written). "
                    "Answers 202 with the job; Location names it. 400 when the request "
                    "has no file or text, or a file that is not UTF-8 or is too large.")
    def create(self, request):
        payload = ImportJobCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        # One byte past the limit is enough to refuse a file that is too large.
        text = (upload_decode(data=data["file"].read(MAX_FILE_BYTES + 1)) if "file" in data
                else data["text"])
        upload_decode(data=text.encode("utf-8"))  # the same size limit for the text
        job = import_job_create(text=text, consent_collected=data["consent_collected"],
                                created_by=request.user)
        return self._accepted(job)

    @extend_schema(request=ImportJobConfirmSerializer,
                   responses={202: ImportJobSerializer},
                   description="Confirm a checked import: the worker writes it, all or "
                               "nothing. 400 if the job is not waiting for a confirmation, "
                               "or if rows were refused and only_valid is not true.")
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        job = self.get_object()
        payload = ImportJobConfirmSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        job = import_job_confirm(job=job, only_valid=payload.validated_data["only_valid"])
        return self._accepted(job)

    def _accepted(self, job: BulkJob) -> Response:
        location = self.reverse_action("detail", args=[job.pk])
        return Response(self.get_serializer(job).data, status=status.HTTP_202_ACCEPTED,
                        headers={"Location": location})
