"""A person's rights through the API: ``GET /api/v1/participants/{id}/export/`` (everything
held about them, in their language) and ``DELETE /api/v1/participants/{id}/`` (erasure:
personal data blanked, anonymous facts kept). Managers and owners, for people whose
identity they see; 404 for anyone else and for a person already erased."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response

from core.roles import Role
from tenants.access import sees_participant_identity

from ..models import Participant, PrivacyLog
from ..services.privacy import participant_erase, participant_export


class ParticipantRightsMixin:
    """Mixed into the participants' viewset (which adds "delete" to its methods): export
    and erasure."""

    def check_permissions(self, request):
        # Erasing is for managers up; anyone else learns nothing, not even that it exists.
        try:
            super().check_permissions(request)
        except PermissionDenied as exc:
            if getattr(self, "action", None) == "destroy" and getattr(request, "access", None):
                raise NotFound from exc
            raise

    def _person(self, request, pk) -> Participant:
        access = getattr(request, "access", None)
        participant = Participant.objects.filter(pk=pk, erased_at__isnull=True).first() \
            if str(pk).isdigit() else None
        if (access is None or not access.at_least(Role.MANAGER) or participant is None
                or not sees_participant_identity(
                    access, consented=participant.consent_to_contact)):
            raise NotFound
        return participant

    @extend_schema(responses={200: OpenApiResponse(OpenApiTypes.OBJECT, description=(
        "Everything the organisation holds about the person, in their language: "
        "\"organisation\", \"exported_at\", \"language\" and \"sections\" (identity, "
        "pledges, invitations sent, survey answers, consents, e-mails), each with a "
        "\"key\", a \"title\", its \"columns\" and its \"rows\" (objects keyed by column). "
        "Managers and owners only; the export is counted in the privacy log."))})
    @action(detail=True, methods=["get"], url_path="export")
    def export(self, request, pk=None):
        participant = self._person(request, pk)
        return Response(participant_export(participant=participant,
                                           actor=PrivacyLog.Actor.ORGANISER))

    @extend_schema(responses={204: OpenApiResponse(description=(
        "Erased: the person's personal data is blanked (name, e-mail address, site, "
        "postcode, age band, companions' names, written answers, e-mails), their pledges, "
        "hours and consent records stay, without their identity, so figures do not "
        "change. Cannot be undone."))})
    def destroy(self, request, pk=None):
        participant_erase(participant=self._person(request, pk),
                          actor=PrivacyLog.Actor.ORGANISER)
        return Response(status=status.HTTP_204_NO_CONTENT)
