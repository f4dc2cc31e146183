"""Read-only API of the methodology library, on tenant hosts: published versions only."""

from django.http import Http404
from django_filters.rest_framework import DjangoFilterBackend, FilterSet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.filters import StrictChoiceFilter

from .models import Audience, ImpactIndicator, Lever, Template, TemplateVersion, Theme
from .selectors import (
    by_title,
    latest_published_versions,
    version_document,
    versions_with_content,
)


class LeverSerializer(serializers.ModelSerializer):
    name = serializers.SerializerMethodField()
    description = serializers.SerializerMethodField()

    class Meta:
        model = Lever
        fields = ["code", "name", "description", "audiences"]

    def get_name(self, obj) -> dict:
        return {"fr": obj.name_fr, "en": obj.name_en}

    def get_description(self, obj) -> dict:
        return {"fr": obj.description_fr, "en": obj.description_en}


class IndicatorSerializer(serializers.ModelSerializer):
    # A field named like Field.label: DRF collects it as a field; mypy sees the attribute.
    label = serializers.SerializerMethodField()  # type: ignore[assignment]

    class Meta:
        model = ImpactIndicator
        fields = ["code", "unit", "sdg", "label"]

    def get_label(self, obj) -> dict:
        return {"fr": obj.label_fr, "en": obj.label_en}


class VersionSummarySerializer(serializers.ModelSerializer):
    slug = serializers.CharField(source="template.slug")
    title = serializers.SerializerMethodField()
    summary = serializers.SerializerMethodField()

    class Meta:
        model = TemplateVersion
        fields = ["id", "slug", "number", "published_at", "title", "summary", "audience",
                  "theme", "typical_duration_days", "default_participant_target", "sdgs"]

    def get_title(self, obj) -> dict:
        return {"fr": obj.title_fr, "en": obj.title_en}

    def get_summary(self, obj) -> dict:
        return {"fr": obj.summary_fr, "en": obj.summary_en}


class VersionDetailSerializer(VersionSummarySerializer):
    document = serializers.SerializerMethodField(
        help_text="The whole version: phases, steps, levers, messages, indicators, survey "
                  "(format in docs/methodology-format.md).")

    class Meta(VersionSummarySerializer.Meta):
        fields = [*VersionSummarySerializer.Meta.fields, "document"]

    def get_document(self, obj) -> dict:
        return version_document(obj)


class LeverViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = LeverSerializer
    queryset = Lever.objects.all()
    lookup_field = "code"
    pagination_class = None


class IndicatorViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = IndicatorSerializer
    queryset = ImpactIndicator.objects.all()
    lookup_field = "code"
    pagination_class = None


class TemplateFilter(FilterSet):
    # A value outside its list is refused, naming it (not an empty list that reads as "no
    # template for you").
    audience = StrictChoiceFilter(choices=Audience.choices)
    theme = StrictChoiceFilter(choices=Theme.choices)


class TemplateViewSet(viewsets.GenericViewSet):
    """Published methodology templates (their latest published version)."""

    lookup_field = "slug"
    lookup_value_regex = r"[a-z0-9-]+"
    queryset = latest_published_versions()
    serializer_class = VersionSummarySerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = TemplateFilter
    pagination_class = None

    @extend_schema(responses=VersionSummarySerializer(many=True))
    def list(self, request):
        versions = by_title(self.filter_queryset(self.get_queryset()))
        return Response(VersionSummarySerializer(versions, many=True).data)

    @extend_schema(responses=VersionDetailSerializer,
                   parameters=[OpenApiParameter("slug", str, OpenApiParameter.PATH)])
    def retrieve(self, request, slug=None):
        return Response(VersionDetailSerializer(self._published(slug).first()).data)

    @extend_schema(responses=VersionSummarySerializer(many=True),
                   parameters=[OpenApiParameter("slug", str, OpenApiParameter.PATH)])
    @action(detail=True, filter_backends=[])
    def versions(self, request, slug=None):
        return Response(VersionSummarySerializer(self._published(slug), many=True).data)

    @extend_schema(responses=VersionDetailSerializer,
                   parameters=[OpenApiParameter("slug", str, OpenApiParameter.PATH),
                               OpenApiParameter("number", int, OpenApiParameter.PATH)])
    @action(detail=True, url_path=r"versions/(?P<number>\d+)", filter_backends=[])
    def version(self, request, slug=None, number=None):
        version = self._published(slug).filter(number=number).first()
        if version is None:
            raise Http404
        return Response(VersionDetailSerializer(version).data)

    @staticmethod
    def _published(slug):
        template = Template.objects.filter(slug=slug).first()
        if template is None:
            raise Http404
        versions = versions_with_content().filter(
            template=template, status=TemplateVersion.Status.PUBLISHED).order_by("-number")
        if not versions.exists():
            raise Http404
        return versions
