"""``GET /api/v1/campaigns/<id>/forecast/``: the stored forecast of an open campaign (404
for a campaign that is not open, has no forecast yet, or is not the organisation's).
Members read it, as they read the campaign (the default permission)."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from engagement.models import Campaign

from .models import CampaignForecast
from .selectors import campaign_forecast_current, forecast_levers


class UnusedLeverSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="The lever's name in the reader's language.")
    invite_path = serializers.CharField(
        help_text="The page inviting people in one go with this lever chosen.")


class CampaignForecastSerializer(serializers.ModelSerializer):
    campaign = serializers.IntegerField(source="campaign_id")
    probability = serializers.FloatField(
        help_text="Chance (0 to 1) of reaching the target by the mobilisation deadline.")
    expected = serializers.FloatField(help_text="People expected at the deadline.")
    low = serializers.FloatField(help_text="Lower end of the 80 % interval of people.")
    high = serializers.FloatField(help_text="Upper end of the 80 % interval of people.")
    baseline_share = serializers.FloatField(
        help_text="Share of the target reached so far (the naive baseline).")
    linear = serializers.FloatField(
        help_text="Straight-line extrapolation of people to the deadline.")
    references = serializers.IntegerField(help_text="Finished campaigns compared with.")
    method = serializers.ChoiceField(
        choices=["reference-class", "prior"],
        help_text="reference-class: enough similar campaigns; prior: too few, wide range.")
    elapsed = serializers.FloatField(help_text="Share of the mobilisation window gone.")
    count = serializers.IntegerField(help_text="People committed when computed.")
    curve = serializers.ListField(
        child=serializers.FloatField(),
        help_text="People committed at each twentieth of the window, up to now.")
    levers_unused = serializers.SerializerMethodField(
        help_text="When at risk: the programme's levers not used yet in this campaign.")

    class Meta:
        model = CampaignForecast
        fields = ["campaign", "probability", "expected", "low", "high", "baseline_share",
                  "linear", "references", "at_risk", "method", "elapsed", "count", "target",
                  "curve", "computed_at", "levers_unused"]

    @extend_schema_field(UnusedLeverSerializer(many=True))
    def get_levers_unused(self, forecast: CampaignForecast) -> list[dict[str, str]]:
        if not forecast.at_risk:
            return []
        return [{"name": lever.tr("name"), "invite_path": path}
                for lever, path in forecast_levers(forecast.campaign)]


class CampaignForecastView(APIView):
    @extend_schema(responses=CampaignForecastSerializer)
    def get(self, request: Request, pk: int) -> Response:
        campaign = get_object_or_404(Campaign, pk=pk)
        forecast = campaign_forecast_current(campaign)
        if forecast is None:
            raise Http404
        return Response(CampaignForecastSerializer(forecast).data)
