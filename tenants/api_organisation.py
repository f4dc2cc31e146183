"""The organisation's own privacy settings and closure through the API (docs/privacy.md):
``/api/v1/organisation/privacy/`` (members read; owners change the retention periods and
the legal bases, as on the settings page and the register) and
``/api/v1/organisation/closure/`` (owners only, everyone else 404, as the closure page).

A token client cannot "enter the password again within ten minutes" as the closure page
asks: its request carries the owner's current password and the space's address instead
(docs/decisions.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import FileResponse, Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import DomainError
from core.roles import Role

from . import throttle
from .models import Organisation
from .services import (
    CHOSEN_PURPOSES,
    LEGAL_BASES,
    closure_archive_path,
    closure_archive_ready,
    is_closing,
    organisation_closure_cancel,
    organisation_closure_request,
    organisation_legal_bases,
    organisation_privacy_update,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

_PARTICIPANTS = gettext_lazy("Keep participants' data between 6 and 72 months.")
_REPORTS = gettext_lazy("Keep report files between 1 and 120 months.")


def _months(low: int, high: int, message: StrOrPromise) -> serializers.IntegerField:
    return serializers.IntegerField(
        min_value=low, max_value=high, required=False,
        error_messages={"min_value": message, "max_value": message, "invalid": message,
                        "max_string_length": message, "null": message})


class LegalBasisSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="The purpose's code.")
    purpose = serializers.CharField()
    basis = serializers.ChoiceField(choices=list(LEGAL_BASES))
    basis_label = serializers.CharField()
    chosen = serializers.BooleanField(help_text="Whether the organisation chooses it (PATCH).")


class PrivacySerializer(serializers.Serializer):
    participant_retention_months = serializers.IntegerField(min_value=6, max_value=72)
    report_retention_months = serializers.IntegerField(min_value=1, max_value=120)
    legal_bases = LegalBasisSerializer(many=True)


class LegalBasesChoiceSerializer(serializers.Serializer):
    """The purposes whose legal basis the organisation chooses; one left out is unchanged."""

    def get_fields(self):
        return {code: serializers.ChoiceField(choices=list(LEGAL_BASES), required=False)
                for code in CHOSEN_PURPOSES}

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = set(data) - set(CHOSEN_PURPOSES)
            if unknown:
                raise serializers.ValidationError(
                    {code: [_("Only these purposes take a chosen legal basis.")]
                     for code in sorted(unknown)})
        return super().to_internal_value(data)


class PrivacyUpdateSerializer(serializers.Serializer):
    participant_retention_months = _months(6, 72, _PARTICIPANTS)
    report_retention_months = _months(1, 120, _REPORTS)
    legal_bases = LegalBasesChoiceSerializer(required=False)


def _privacy(organisation: Organisation) -> dict:
    return {
        "participant_retention_months": organisation.participant_retention_months,
        "report_retention_months": organisation.report_retention_months,
        "legal_bases": [{**row, "purpose": str(row["purpose"]),
                         "basis_label": str(row["basis_label"])}
                        for row in organisation_legal_bases(organisation)],
    }


class PrivacyView(APIView):
    """The organisation's retention periods and legal bases. Every member reads them;
    owners change them (the same limits as the settings page: 6 to 72 months for
    participants' data, 1 to 120 for report files)."""

    write_role = Role.OWNER
    parser_classes = [JSONParser]

    @extend_schema(responses=PrivacySerializer)
    def get(self, request):
        organisation = Organisation.objects.get(pk=request.tenant.pk)
        return Response(PrivacySerializer(_privacy(organisation)).data)

    @extend_schema(request=PrivacyUpdateSerializer, responses=PrivacySerializer)
    def patch(self, request):
        if request.access.via_consultant:
            raise PermissionDenied
        payload = PrivacyUpdateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        organisation = Organisation.objects.get(pk=request.tenant.pk)
        organisation_privacy_update(
            organisation=organisation, user=request.user,
            participant_retention_months=data.get("participant_retention_months"),
            report_retention_months=data.get("report_retention_months"),
            legal_bases=data.get("legal_bases") or None)
        organisation.refresh_from_db()
        return Response(PrivacySerializer(_privacy(organisation)).data)


class ClosureSerializer(serializers.Serializer):
    closing = serializers.BooleanField()
    requested_at = serializers.DateTimeField(allow_null=True)
    due_at = serializers.DateTimeField(allow_null=True)
    archive = serializers.ChoiceField(
        choices=["none", "preparing", "ready"],
        help_text="The full export of the space: none (no closure requested), preparing, "
                  "ready (download it at archive_url with the owner's session or token).")
    archive_url = serializers.CharField(allow_null=True)


class ClosureRequestSerializer(serializers.Serializer):
    password = serializers.CharField(
        trim_whitespace=False, help_text="The owner's current password.")
    confirm = serializers.CharField(
        help_text="The space's address, exactly (its slug or its host name).")


def _owner(request) -> Organisation:
    access = getattr(request, "access", None)
    if access is None or access.role != Role.OWNER or access.via_consultant:
        raise NotFound
    return Organisation.objects.get(pk=request.tenant.pk)


def _closure(request, organisation: Organisation) -> dict:
    closing = is_closing(organisation)
    ready = closing and closure_archive_ready(organisation)
    return {
        "closing": closing,
        "requested_at": organisation.closure_requested_at if closing else None,
        "due_at": organisation.closure_due_at if closing else None,
        "archive": "ready" if ready else "preparing" if closing else "none",
        "archive_url": request.build_absolute_uri(reverse("api-organisation-closure-archive"))
        if ready else None,
    }


class ClosureView(APIView):
    """Closing the organisation (owners only; 404 for anyone else). POST asks for it: the
    space turns read-only at once and its full export is prepared; DELETE cancels it until
    it is due."""

    write_role = Role.OWNER
    parser_classes = [JSONParser]

    def check_permissions(self, request):
        try:
            super().check_permissions(request)
        except PermissionDenied as exc:  # a member who is not an owner learns nothing
            if getattr(request, "access", None) is not None:
                raise NotFound from exc
            raise

    @extend_schema(responses=ClosureSerializer)
    def get(self, request):
        organisation = _owner(request)
        return Response(ClosureSerializer(_closure(request, organisation)).data)

    @extend_schema(request=ClosureRequestSerializer, responses={201: ClosureSerializer})
    def post(self, request):
        organisation = _owner(request)
        payload = ClosureRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        if not request.user.check_password(payload.validated_data["password"]):
            # Wrong passwords are counted per address and per login: a token cannot be
            # used to guess the owner's password here.
            throttle.check_api(request, "closure_password", subject=request.user)
            raise DomainError({"password": [_("This password is not right.")]})
        try:
            organisation = organisation_closure_request(
                organisation=organisation, user=request.user,
                confirmation=payload.validated_data["confirm"])
        except DomainError as exc:
            raise DomainError({"confirm": exc.errors.get("confirmation", [])}) from exc
        return Response(ClosureSerializer(_closure(request, organisation)).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: ClosureSerializer})
    def delete(self, request):
        organisation = _owner(request)
        try:
            organisation = organisation_closure_cancel(organisation=organisation,
                                                       user=request.user)
        except DomainError as exc:  # nothing to cancel
            raise NotFound from exc
        return Response(ClosureSerializer(_closure(request, organisation)).data)


class ClosureArchiveView(APIView):
    """The full export of a closing space (a ZIP file), for its owners."""

    @extend_schema(responses={(200, "application/zip"): OpenApiResponse(
        OpenApiTypes.BINARY, description="The ZIP file of the space's full export.")})
    def get(self, request):
        organisation = _owner(request)
        path = closure_archive_path(organisation)
        if path is None or not is_closing(organisation) or not path.is_file():
            raise Http404
        return FileResponse(path.open("rb"), as_attachment=True, filename=path.name,
                            content_type="application/zip")
