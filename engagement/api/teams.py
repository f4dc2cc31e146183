"""Teams and team challenges (/api/v1/teams/, /api/v1/team-challenges/).

Members read; managers and owners create, change and close challenges. A team with fewer
than ``TEAM_MIN_PEOPLE`` people taking part never has its figures shown next to its name
(``engagement.standings``): its ``figures`` are null, and in a challenge's standings it is
counted in ``other_teams``."""

from __future__ import annotations

from django.utils import timezone
from django_filters.rest_framework import FilterSet
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from core.filters import StrictChoiceFilter, WholeNumberFilter
from tenants.api_base import OrganisationViewSet

from ..models import CHALLENGE_GOAL_MAX, Campaign, Programme, Team, TeamChallenge
from ..services.challenges import (
    team_challenge_close,
    team_challenge_create,
    team_challenge_update,
)
from ..standings import TEAM_MIN_PEOPLE, Standings, challenge_standings, teams_with_figures


class TeamFiguresSerializer(serializers.Serializer):
    people = serializers.IntegerField(help_text="Members with a confirmed pledge.")
    hours = serializers.FloatField(help_text="Hours given by members' attended pledges.")


class TeamSerializer(serializers.ModelSerializer):
    figures = serializers.SerializerMethodField(help_text=(
        f"Over every campaign; null for a team with fewer than {TEAM_MIN_PEOPLE} people "
        "taking part."))

    class Meta:
        model = Team
        fields = ["id", "name", "kind", "figures"]
        read_only_fields = fields

    @extend_schema_field(TeamFiguresSerializer(allow_null=True))
    def get_figures(self, obj) -> dict | None:
        if obj.people < TEAM_MIN_PEOPLE:
            return None
        return {"people": obj.people, "hours": round(float(obj.hours), 2)}


class TeamFilter(FilterSet):
    kind = StrictChoiceFilter(choices=Team.Kind.choices, help_text="Kind of team.")


class TeamViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrganisationViewSet):
    """The organisation's teams with their figures over every campaign."""

    serializer_class = TeamSerializer
    queryset = teams_with_figures()
    filterset_class = TeamFilter
    http_method_names = ["get", "head", "options"]


class StandingSerializer(serializers.Serializer):
    rank = serializers.IntegerField()
    team = serializers.IntegerField(source="team_id", help_text="Team id.")
    name = serializers.CharField()
    people = serializers.IntegerField(help_text="Members who took part (a confirmed pledge).")
    hours = serializers.FloatField(help_text="Hours given (attended pledges).")
    value = serializers.FloatField(help_text="The challenge's measure: people or hours.")
    progress = serializers.FloatField(help_text="Share of the goal reached, 0 to 1.")
    reached = serializers.BooleanField()


class OtherTeamsSerializer(serializers.Serializer):
    teams = serializers.IntegerField(help_text="How many teams are added up here.")
    people = serializers.IntegerField()
    hours = serializers.FloatField()
    value = serializers.FloatField()
    progress = serializers.FloatField(help_text="The average team's share of the goal.")


class StandingsSerializer(serializers.Serializer):
    rows = StandingSerializer(many=True, help_text=(
        f"Teams with at least {TEAM_MIN_PEOPLE} people taking part, best first."))
    other_teams = OtherTeamsSerializer(source="small", allow_null=True, help_text=(
        f"Teams with fewer than {TEAM_MIN_PEOPLE} people taking part, added up, unnamed."))


class TeamChallengeSerializer(serializers.ModelSerializer):
    name = serializers.SerializerMethodField()
    description = serializers.SerializerMethodField()
    is_closed = serializers.BooleanField(read_only=True)

    class Meta:
        model = TeamChallenge
        fields = ["id", "name", "description", "measure", "goal", "starts_on", "ends_on",
                  "programme", "campaigns", "is_closed", "closed_at", "created_at"]
        read_only_fields = fields

    def get_name(self, obj) -> dict[str, str]:
        return {"fr": obj.name, "en": obj.name_en}

    def get_description(self, obj) -> dict[str, str]:
        return {"fr": obj.description_fr, "en": obj.description_en}


class TeamChallengeDetailSerializer(TeamChallengeSerializer):
    standings = serializers.SerializerMethodField()

    class Meta(TeamChallengeSerializer.Meta):
        fields = [*TeamChallengeSerializer.Meta.fields, "standings"]
        read_only_fields = fields

    @extend_schema_field(StandingsSerializer)
    def get_standings(self, obj) -> dict:
        standings: Standings = challenge_standings(obj)
        return StandingsSerializer(standings).data


class TeamChallengeWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=150, help_text="The name in French.")
    name_en = serializers.CharField(max_length=150, required=False, allow_blank=True,
                                    help_text="The name in English (optional).")
    description_fr = serializers.CharField(required=False, allow_blank=True)
    description_en = serializers.CharField(required=False, allow_blank=True)
    measure = serializers.ChoiceField(choices=TeamChallenge.Measure.choices)
    goal = serializers.IntegerField(min_value=1, max_value=CHALLENGE_GOAL_MAX)
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    programme = serializers.PrimaryKeyRelatedField(
        queryset=Programme.objects.all(), required=False, allow_null=True,
        help_text="Without campaigns, every campaign of this programme counts.")
    campaigns = serializers.PrimaryKeyRelatedField(
        queryset=Campaign.objects.all(), many=True, required=False,
        help_text="Only these campaigns count (of the programme, when one is given).")


class TeamChallengeFilter(FilterSet):
    status = StrictChoiceFilter(
        choices=[("current", "current"), ("past", "past")], method="by_status",
        help_text="current: not closed and not over; past: closed or over.")
    measure = StrictChoiceFilter(choices=TeamChallenge.Measure.choices,
                                 help_text="What the teams are ranked by.")
    programme = WholeNumberFilter(field_name="programme_id", help_text="Programme id.")

    def by_status(self, queryset, name, value):
        today = timezone.localdate()
        current = queryset.filter(closed_at__isnull=True, ends_on__gte=today)
        if value == "current":
            return current
        return queryset.exclude(pk__in=current.values("pk"))


@extend_schema_view(
    create=extend_schema(request=TeamChallengeWriteSerializer,
                         responses={201: TeamChallengeDetailSerializer}),
    partial_update=extend_schema(
        request=TeamChallengeWriteSerializer, responses=TeamChallengeDetailSerializer,
        description="Change a challenge that is not closed."),
    close=extend_schema(request=None, responses=TeamChallengeDetailSerializer,
                        description="Close the challenge; closing it again changes nothing."),
)
class TeamChallengeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin,
                           OrganisationViewSet):
    """Team challenges; the detail carries the teams' standings."""

    queryset = TeamChallenge.objects.prefetch_related("campaigns").order_by(
        "-starts_on", "name", "id")
    filterset_class = TeamChallengeFilter

    def get_serializer_class(self):
        return (TeamChallengeSerializer if self.action == "list"
                else TeamChallengeDetailSerializer)

    def create(self, request):
        payload = TeamChallengeWriteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        challenge = team_challenge_create(**payload.validated_data)
        return Response(TeamChallengeDetailSerializer(challenge).data,
                        status=status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        challenge = self.get_object()
        payload = TeamChallengeWriteSerializer(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        challenge = team_challenge_update(challenge=challenge, **payload.validated_data)
        return Response(TeamChallengeDetailSerializer(challenge).data)

    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        challenge = team_challenge_close(challenge=self.get_object())
        return Response(TeamChallengeDetailSerializer(challenge).data)
