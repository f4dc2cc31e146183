"""``POST /api/v1/auth/token/``: an API token for an e-mail and password (and a code).

Wrong passwords count toward the same lockout as the login pages (django-axes): a locked
e-mail and address gets 429 with ``Retry-After``. A person with a second factor adds
``otp`` (the six digits of their app); staff and consultants without one get 403 until
they set it up in the browser.
"""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from . import auth


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.EmailField(help_text="The account's e-mail address.")
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)
    otp = serializers.CharField(required=False, allow_blank=True, max_length=8,
                                help_text="The code of the authenticator app, when the "
                                          "account has two-factor authentication.")


_message = inline_serializer("AuthMessage", {"message": serializers.CharField(),
                                             "errors": serializers.DictField()})


class ObtainTokenView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    serializer_class = TokenRequestSerializer

    @extend_schema(
        request=TokenRequestSerializer,
        responses={200: inline_serializer("AuthToken", {"token": serializers.CharField()}),
                   400: _message, 403: _message,
                   429: OpenApiResponse(_message, description="Too many failed attempts.")},
        auth=[],
    )
    def post(self, request):
        serializer = TokenRequestSerializer(data=request.data)
        if not serializer.is_valid():
            return Response({"message": _("Check the fields."), "errors": serializer.errors},
                            status=status.HTTP_400_BAD_REQUEST)
        data = serializer.validated_data
        django_request = request._request
        user = authenticate(django_request, username=data["username"],
                            password=data["password"])
        if getattr(django_request, "axes_locked_out", False):
            return auth.lockout_response(django_request)
        if user is None:
            return Response({"message": _("The e-mail address or the password is not "
                                          "right."), "errors": {}},
                            status=status.HTTP_400_BAD_REQUEST)
        device = auth.confirmed_device(user)
        if device is None and auth.two_factor_required(user):
            return Response({"message": _("Set up two-factor authentication in your browser "
                                          "first."), "errors": {}},
                            status=status.HTTP_403_FORBIDDEN)
        code = (data.get("otp") or "").replace(" ", "")
        # No code is a question, not a wrong answer: only a code typed counts toward the
        # device's throttle (which would refuse the right code right after).
        if device is not None and (not code or not device.verify_token(code)):
            return Response({"message": _("The code of your authenticator app is missing or "
                                          "not valid."), "errors": {"otp": [_("Enter the six "
                                                                             "digits your app "
                                                                             "shows.")]}},
                            status=status.HTTP_403_FORBIDDEN)
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})
