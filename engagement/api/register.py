"""The organisation's register of personal data as JSON: ``GET /api/v1/organisation/register/``
(every member, as its page). The same selector as the page; it names no participant."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from tenants.models import Organisation

from .. import selectors


class _Category(serializers.Serializer):
    name = serializers.CharField()
    detail = serializers.CharField()
    kept = serializers.CharField(help_text="How long it is kept.")


class _Purpose(serializers.Serializer):
    code = serializers.CharField()
    purpose = serializers.CharField()
    basis = serializers.CharField(help_text="consent, legitimate_interest, public_task or "
                                            "contract.")
    basis_label = serializers.CharField()
    chosen = serializers.BooleanField(help_text="Whether the organisation chooses it.")


class _Role(serializers.Serializer):
    role = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # a field, not Field.label
    members = serializers.IntegerField()
    sees_everyone = serializers.BooleanField(
        help_text="Sees the identity of every participant (otherwise only of those who "
                  "agreed to be contacted).")


class _Consultant(serializers.Serializer):
    name = serializers.CharField()
    assigned_at = serializers.DateTimeField()


class _Subprocessor(serializers.Serializer):
    name = serializers.CharField()
    purpose = serializers.CharField()
    country = serializers.CharField()


class _Counts(serializers.Serializer):
    held = serializers.IntegerField()
    erased = serializers.IntegerField()
    consenting = serializers.IntegerField()
    consent_records = serializers.IntegerField()


class _LogCount(serializers.Serializer):
    kind = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # a field, not Field.label
    count = serializers.IntegerField()


class RegisterSerializer(serializers.Serializer):
    organisation = serializers.CharField()
    categories = _Category(many=True)
    purposes = _Purpose(many=True)
    roles = _Role(many=True)
    consultants_see_everyone = serializers.BooleanField()
    consultants = _Consultant(many=True)
    subprocessors = _Subprocessor(many=True)
    counts = _Counts()
    privacy_log = _LogCount(many=True)


class RegisterView(APIView):
    """The register of personal data: what the space holds and how long, why (legal
    bases), who sees it, who processes it, and the live counts. Every member."""

    @extend_schema(responses=RegisterSerializer)
    def get(self, request):
        organisation = Organisation.objects.get(pk=request.tenant.pk)
        return Response(RegisterSerializer({
            "organisation": organisation.name,
            **selectors.privacy_register(organisation)}).data)
