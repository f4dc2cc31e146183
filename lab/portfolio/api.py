"""The consultant's portfolio through the API (public site, ``/api/v1/portfolio/``): the
same figures as the page (``lab.portfolio``), for a consultant's token. Anyone else gets
404, as on the page."""

from django.http import Http404
from rest_framework import generics, serializers
from rest_framework.permissions import IsAuthenticated

from .states import BillingState, portfolio_states


class AccompanimentSerializer(serializers.Serializer):
    included_minutes = serializers.IntegerField(
        help_text="Minutes of consultant time the accompaniment pack includes this month "
                  "(0 without the pack).")
    logged_minutes = serializers.IntegerField(
        help_text="Minutes logged by consultants for this client this month.")
    left_minutes = serializers.IntegerField()
    beyond_minutes = serializers.IntegerField()


class ClientStateSerializer(serializers.Serializer):
    slug = serializers.CharField(source="organisation.slug")
    name = serializers.CharField(source="organisation.name")
    kind = serializers.CharField(source="organisation.kind")
    url = serializers.SerializerMethodField()
    billing = serializers.ChoiceField(
        choices=[BillingState.TRIAL, BillingState.ACTIVE, BillingState.PAST_DUE,
                 BillingState.READ_ONLY])
    needs_attention = serializers.BooleanField()
    reasons = serializers.ListField(child=serializers.ChoiceField(
        choices=["at_risk", "billing", "commentary"]))
    running_programmes = serializers.IntegerField()
    open_campaigns = serializers.IntegerField()
    campaigns_at_risk = serializers.IntegerField(
        source="at_risk", allow_null=True,
        help_text="Open campaigns whose stored forecast says at risk; null while no "
                  "forecast is stored by this installation.")
    finished_campaigns = serializers.IntegerField(source="decided")
    succeeded_campaigns = serializers.IntegerField(source="succeeded")
    success_rate = serializers.FloatField(allow_null=True)
    benchmark_success_rate = serializers.FloatField(source="benchmark_rate", allow_null=True)
    benchmark_organisations = serializers.IntegerField(allow_null=True)
    benchmark_label = serializers.CharField(
        help_text="What the benchmark is: same template or every template, kind of "
                  "organisation (or all kinds when that one is not published yet), "
                  "organisations behind it. Empty when no benchmark is published.")
    campaigns_without_forecast = serializers.IntegerField(
        source="unforecast", help_text="Open campaigns whose forecast is not computed yet.")
    experiments_running = serializers.IntegerField(allow_null=True)
    experiments_concluded = serializers.IntegerField(allow_null=True)
    reports_awaiting_commentary = serializers.IntegerField(source="awaiting_commentary")
    accompaniment = AccompanimentSerializer(source="*")

    def get_url(self, obj) -> str:
        return obj.organisation.absolute_url("/")


class PortfolioList(generics.ListAPIView):
    """The calling consultant's clients, those needing attention first (campaigns at risk,
    payment overdue or read-only, reports awaiting commentary), each with its state."""

    permission_classes = [IsAuthenticated]
    serializer_class = ClientStateSerializer

    def get_queryset(self):
        if not self.request.user.is_consultant:
            raise Http404
        return portfolio_states(self.request.user)
