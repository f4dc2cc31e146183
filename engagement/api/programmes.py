"""Programmes and their checklist (/api/v1/programmes/, …/steps/)."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from methodology.selectors import published_version

from ..bilingual import organisation_language
from ..models import PEOPLE_MAX, Programme, ProgrammeStep
from ..models.bilingual import LANGUAGE_CHOICES
from ..services import (
    programme_create,
    programme_create_from_template,
    programme_delete,
    programme_update,
    step_set_status,
)
from .bilingual import TextInLanguageField, bilingual_split


class ProgrammeSerializer(serializers.ModelSerializer):
    """``name`` and ``description`` are in ``content_language`` (set on creation, the
    organisation's by default); ``name_fr``/``name_en`` (and the descriptions) read and
    write each language, an empty one removing a translation."""

    template_version = serializers.SerializerMethodField()
    content_language = serializers.ChoiceField(
        choices=LANGUAGE_CHOICES, required=False,
        help_text="The language of name and description; set on creation only.")
    name_fr = TextInLanguageField("name", "fr", 200)
    name_en = TextInLanguageField("name", "en", 200)
    description_fr = TextInLanguageField("description", "fr")
    description_en = TextInLanguageField("description", "en")

    class Meta:
        model = Programme
        fields = ["id", "name", "description", "content_language", "name_fr", "name_en",
                  "description_fr", "description_en", "starts_on", "ends_on", "action_date",
                  "participant_target", "template_version", "created_at"]
        read_only_fields = ["id", "created_at", "action_date", "template_version"]
        # Or through name_<language>; the service names it when neither is given.
        extra_kwargs = {"name": {"required": False}}

    def get_template_version(self, obj) -> dict | None:
        version = obj.template_version
        if version is None:
            return None
        return {"id": version.pk, "slug": version.template.slug, "number": version.number}


class FromTemplateSerializer(serializers.Serializer):
    version = serializers.IntegerField(help_text="Id of a published template version.")
    name = serializers.CharField(max_length=200, required=False)
    name_fr = TextInLanguageField("name", "fr", 200)
    name_en = TextInLanguageField("name", "en", 200)
    content_language = serializers.ChoiceField(
        choices=LANGUAGE_CHOICES, required=False,
        help_text="The language of the name (the organisation's by default).")
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
        data = dict(serializer.validated_data)
        data.setdefault("content_language", organisation_language())
        data = bilingual_split(data, content_language=data["content_language"],
                               fields=Programme.TRANSLATED_FIELDS)
        data.setdefault("name", "")
        serializer.instance = programme_create(**data)

    def perform_update(self, serializer):
        programme = serializer.instance
        serializer.instance = programme_update(programme=programme, **bilingual_split(
            dict(serializer.validated_data), content_language=programme.content_language,
            fields=Programme.TRANSLATED_FIELDS))

    def perform_destroy(self, instance):
        programme_delete(programme=instance)

    @extend_schema(request=FromTemplateSerializer, responses={201: ProgrammeSerializer})
    @action(detail=False, methods=["post"], url_path="from-template")
    def from_template(self, request):
        """Create a programme from a published methodology version (a snapshot of it)."""
        payload = FromTemplateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        version = published_version(data.pop("version"))
        if version is None:
            raise serializers.ValidationError(
                {"version": ["Choose a published template version."]})
        data.setdefault("content_language", organisation_language())
        data = bilingual_split(data, content_language=data["content_language"],
                               fields={"name": 200})
        data.setdefault("name", "")
        programme = programme_create_from_template(version=version, **data)
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
