from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.parsers import JSONParser
from rest_framework.permissions import IsAdminUser
from rest_framework.response import Response
from rest_framework.views import APIView

from core.roles import Role

from .models import Membership, Organisation
from .services import member_invite, organisation_provision


class OrganisationSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = Organisation
        fields = ["slug", "name", "kind", "locale", "time_zone", "status", "brand_colour",
                  "trial_ends_at", "created_at", "url"]
        read_only_fields = fields

    def get_url(self, obj) -> str:
        return obj.absolute_url("/")


class ProvisionSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=150)
    slug = serializers.CharField(max_length=40)
    kind = serializers.ChoiceField(choices=Organisation.Kind.choices,
                                   default=Organisation.Kind.COMPANY)
    locale = serializers.ChoiceField(choices=["fr", "en"], default="fr")
    time_zone = serializers.CharField(default="Europe/Paris")
    owner_email = serializers.EmailField()
    owner_name = serializers.CharField(required=False, allow_blank=True, default="")


class OrganisationListCreate(generics.ListAPIView):
    """Public host, Fullmobs staff only: list organisations and provision new ones (the
    owner receives an e-mail invitation to choose a password)."""

    permission_classes = [IsAdminUser]
    serializer_class = OrganisationSerializer
    queryset = Organisation.objects.clients().order_by("name")

    @extend_schema(request=ProvisionSerializer, responses={201: OrganisationSerializer})
    def post(self, request):
        payload = ProvisionSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        organisation = organisation_provision(
            name=data["name"], slug=data["slug"], kind=data["kind"], locale=data["locale"],
            timezone_name=data["time_zone"], owner_email=data["owner_email"],
            owner_name=data["owner_name"],
        )
        return Response(OrganisationSerializer(organisation).data,
                        status=status.HTTP_201_CREATED)


class MeSerializer(serializers.Serializer):
    email = serializers.EmailField()
    full_name = serializers.CharField()
    role = serializers.CharField()
    via_consultant = serializers.BooleanField()
    organisation = OrganisationSerializer()


class MeView(APIView):
    """The caller and their role in this organisation."""

    @extend_schema(responses=MeSerializer)
    def get(self, request):
        return Response(MeSerializer({
            "email": request.user.email,
            "full_name": request.user.full_name,
            "role": request.access.role,
            "via_consultant": request.access.via_consultant,
            "organisation": request.tenant,
        }).data)


class MemberSerializer(serializers.ModelSerializer):
    email = serializers.EmailField(source="user.email")
    full_name = serializers.CharField(source="user.full_name")

    class Meta:
        model = Membership
        fields = ["email", "full_name", "role", "created_at"]


class MemberList(generics.ListAPIView):
    serializer_class = MemberSerializer

    def get_queryset(self):
        return Membership.objects.filter(organisation=self.request.tenant).select_related(
            "user").order_by("user__email")


class InvitationSerializer(serializers.Serializer):
    email = serializers.EmailField()
    role = serializers.ChoiceField(choices=Role.choices, default=Role.VIEWER)
    expires_at = serializers.DateTimeField(read_only=True)


class InvitationCreate(APIView):
    """Invite a colleague (managers and owners). The link goes by e-mail only."""

    write_role = Role.MANAGER
    # JSON only: a form-encoded body cannot say "no role" apart from a role left out (which
    # defaults to viewer), so a malformed role would be taken as the default.
    parser_classes = [JSONParser]

    @extend_schema(request=InvitationSerializer, responses={201: InvitationSerializer})
    def post(self, request):
        payload = InvitationSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        invitation = member_invite(
            organisation=request.tenant,
            email=payload.validated_data["email"],
            role=payload.validated_data["role"],
            invited_by=request.user,
            inviter_role=request.access.role,
            inviter_is_consultant=request.access.via_consultant,
        )
        return Response(InvitationSerializer(invitation).data, status=status.HTTP_201_CREATED)
