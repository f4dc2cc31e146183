from rest_framework import serializers, viewsets

from .models import Programme
from .services import programme_create


class ProgrammeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Programme
        fields = ["id", "name", "description", "starts_on", "ends_on", "participant_target",
                  "created_at"]
        read_only_fields = ["id", "created_at"]

    def validate(self, attrs):
        starts_on = attrs.get("starts_on", getattr(self.instance, "starts_on", None))
        ends_on = attrs.get("ends_on", getattr(self.instance, "ends_on", None))
        if starts_on and ends_on and ends_on < starts_on:
            raise serializers.ValidationError(
                {"ends_on": ["The end date must be on or after the start date."]})
        return attrs


class ProgrammeViewSet(viewsets.ModelViewSet):
    """Programmes of the current organisation (its schema holds only its own)."""

    serializer_class = ProgrammeSerializer
    queryset = Programme.objects.all()

    def perform_create(self, serializer):
        serializer.instance = programme_create(**serializer.validated_data)
