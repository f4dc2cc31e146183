"""Skills of skills-based volunteering (/api/v1/skills/) and which slot or pledge is given
with one (``POST /api/v1/slots/<id>/skill/``, ``POST /api/v1/pledges/<id>/skill/`` with
``{"skill": <id> | null}``). Members read; managers write (the default permission)."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from tenants.api_base import OrganisationViewSet

from ..models import Pledge, Skill, Slot
from ..services.value import pledge_set_skill, skill_create, skill_update, slot_set_skill


class SkillSerializer(serializers.ModelSerializer):
    hourly_rate = serializers.DecimalField(
        max_digits=8, decimal_places=2,
        help_text="Euros per hour given with this skill: the salary cost of the employees "
                  "who give it.")

    class Meta:
        model = Skill
        fields = ["id", "name", "hourly_rate"]
        read_only_fields = ["id"]


class SkillViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrganisationViewSet):
    serializer_class = SkillSerializer
    queryset = Skill.objects.order_by("name")

    @extend_schema(request=SkillSerializer, responses={201: SkillSerializer})
    def create(self, request):
        payload = SkillSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        skill = skill_create(**payload.validated_data)
        return Response(SkillSerializer(skill).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=SkillSerializer, responses=SkillSerializer)
    def partial_update(self, request, pk=None):
        skill = self.get_object()
        payload = SkillSerializer(skill, data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        data = {"name": skill.name, "hourly_rate": skill.hourly_rate,
                **payload.validated_data}
        return Response(SkillSerializer(skill_update(skill=skill, **data)).data)


class SkillChoiceSerializer(serializers.Serializer):
    skill = serializers.PrimaryKeyRelatedField(
        queryset=Skill.objects.all(), allow_null=True,
        help_text="The skill these hours are given with; null: not skills-based.")


class SlotSkillView(APIView):
    @extend_schema(request=SkillChoiceSerializer, responses=SkillChoiceSerializer)
    def post(self, request, pk: int):
        slot = get_object_or_404(Slot, pk=pk)
        payload = SkillChoiceSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        slot = slot_set_skill(slot=slot, skill=payload.validated_data["skill"])
        return Response({"skill": slot.skill_id})


class PledgeSkillView(APIView):
    @extend_schema(request=SkillChoiceSerializer, responses=SkillChoiceSerializer)
    def post(self, request, pk: int):
        pledge = get_object_or_404(Pledge, pk=pk)
        payload = SkillChoiceSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        pledge = pledge_set_skill(pledge=pledge, skill=payload.validated_data["skill"])
        return Response({"skill": pledge.skill_id})
