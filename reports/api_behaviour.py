"""The behaviour-change API (/api/v1/metrics/behaviour/...): the dict of
``reports.behaviour``, as the dashboards and the PDF show it. Members read; outsiders and
other organisations get 404."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers
from rest_framework.response import Response

from engagement.models import Programme
from tenants.api_base import OrganisationViewSet

from .api import PeriodQuerySerializer, SingleResultSchema
from .behaviour import period_behaviour, programme_behaviour


def _share():
    return serializers.FloatField(allow_null=True, min_value=0, max_value=1)


class MeasureSerializer(serializers.Serializer):
    measure = serializers.CharField()
    kind = serializers.ChoiceField(choices=["scale", "yes_no"])
    question_fr = serializers.CharField()
    question_en = serializers.CharField()
    pairs = serializers.IntegerField(help_text="People who answered at both moments.")
    enough = serializers.BooleanField(help_text="At least 5 pairs; otherwise figures are null.")
    before = serializers.FloatField(allow_null=True, help_text="Scale: mean right after.")
    after = serializers.FloatField(allow_null=True, help_text="Scale: mean 90 days later.")
    change = serializers.FloatField(allow_null=True, help_text="Scale: mean paired change.")
    change_low = serializers.FloatField(allow_null=True, help_text="95 % CI (paired t).")
    change_high = serializers.FloatField(allow_null=True)
    improved = _share()
    same = _share()
    declined = _share()
    yes_before = _share()
    yes_after = _share()
    became_yes = serializers.IntegerField(allow_null=True)
    became_no = serializers.IntegerField(allow_null=True)
    p_value = serializers.FloatField(allow_null=True, help_text="McNemar's test.")

    def to_representation(self, instance):
        # Each kind carries its own figures; the other kind's keys are null.
        return {name: instance.get(name) for name in self.fields}


class ResponseRateSerializer(serializers.Serializer):
    asked = serializers.IntegerField()
    answered = serializers.IntegerField()
    enough = serializers.BooleanField()
    rate = _share()


class ResponsesSerializer(serializers.Serializer):
    after_action = ResponseRateSerializer()
    follow_up = ResponseRateSerializer()


class WindowSerializer(serializers.Serializer):
    measurable = serializers.IntegerField()
    not_yet = serializers.IntegerField(help_text="Window not elapsed: not measurable yet.")
    returned = serializers.IntegerField()
    enough = serializers.BooleanField()
    share = _share()


class WindowsSerializer(serializers.Serializer):
    def get_fields(self):
        return {"90": WindowSerializer(), "365": WindowSerializer()}


class ReturningLeverSerializer(serializers.Serializer):
    lever = serializers.CharField(allow_blank=True, help_text="Empty: no invitation.")
    name_fr = serializers.CharField()
    name_en = serializers.CharField()
    people = serializers.IntegerField()
    windows = WindowsSerializer()


class ReturningSerializer(serializers.Serializer):
    people = serializers.IntegerField()
    windows = WindowsSerializer()
    by_lever = ReturningLeverSerializer(many=True)


class BehaviourSerializer(serializers.Serializer):
    min_respondents = serializers.IntegerField()
    measures = MeasureSerializer(many=True)
    response = ResponsesSerializer()
    returning = ReturningSerializer()


class ProgrammeBehaviourViewSet(mixins.RetrieveModelMixin, OrganisationViewSet):
    """A programme's behaviour change: paired survey answers and returning people."""

    queryset = Programme.objects.all()
    serializer_class = BehaviourSerializer

    def retrieve(self, request, pk=None):
        return Response(BehaviourSerializer(programme_behaviour(self.get_object())).data)


class PeriodBehaviourViewSet(OrganisationViewSet):
    """Behaviour change of the campaigns starting in a period (both dates included)."""

    serializer_class = BehaviourSerializer
    schema = SingleResultSchema()
    pagination_class = None

    @extend_schema(parameters=[PeriodQuerySerializer], responses=BehaviourSerializer)
    def list(self, request):
        query = PeriodQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return Response(BehaviourSerializer(period_behaviour(**query.validated_data)).data)
