"""Invitations sent in one go, as jobs (/api/v1/invitation-jobs/): after
``POST /campaign-invitations/bulk/`` (202, ``Location`` names the job), the worker records
the invitations with the job's progress, then their e-mails go out under the hourly
allowance. ``GET /invitation-jobs/{id}/`` until ``status`` is ``done`` (or ``failed``).
Managers and owners only, as the send itself."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers

from tenants.api_base import OrganisationViewSet

from ..models import BulkJob
from ..services.invitation_jobs import invitation_job_message
from .participant_imports import ManagersOnlyNotFound


class InvitationJobReportSerializer(serializers.Serializer):
    invited = serializers.IntegerField(help_text="Invitations recorded so far.")
    sent_this_hour = serializers.IntegerField(
        required=False, help_text="Once done: of those, e-mails sent this hour.")
    later_hours = serializers.IntegerField(
        required=False, help_text="Once done: hours the rest take, one allowance each.")
    message = serializers.CharField(required=False, help_text="Why the job failed.")


class InvitationJobSerializer(serializers.ModelSerializer):
    percent = serializers.IntegerField(read_only=True, help_text="processed of total, 0-100.")
    campaign = serializers.SerializerMethodField()
    batch = serializers.SerializerMethodField(help_text="The send (its invitations).")
    report = serializers.SerializerMethodField()
    message = serializers.SerializerMethodField(help_text=(
        "Once done, how the e-mails go out, in the request's language (else empty)."))

    class Meta:
        model = BulkJob
        fields = ["id", "status", "campaign", "batch", "total", "processed", "percent",
                  "report", "message", "created_at", "started_at", "updated_at",
                  "finished_at"]
        read_only_fields = fields

    def get_campaign(self, job) -> int:
        return int(job.options["campaign"])

    def get_batch(self, job) -> int | None:
        return job.options.get("batch")

    @extend_schema_field(InvitationJobReportSerializer)
    def get_report(self, job) -> dict:
        return {"invited": 0, **job.report}

    def get_message(self, job) -> str:
        return invitation_job_message(job)


@extend_schema_view(
    list=extend_schema(description="The organisation's sends in one go, newest first. "
                                   "Managers and owners."),
    retrieve=extend_schema(description="A send's state and progress: ``processed`` of "
                                       "``total`` people gone through."),
)
class InvitationJobViewSet(ManagersOnlyNotFound, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                           OrganisationViewSet):
    """Sends in one go recorded by the worker, with their progress."""

    serializer_class = InvitationJobSerializer
    queryset = BulkJob.objects.filter(kind=BulkJob.Kind.INVITATIONS)

