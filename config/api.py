"""API conventions shared by every app: JSON errors with a message and the offending fields."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from tenants.services import DomainError


def exception_handler(exc, context):
    """Every error body is ``{"message": str, "errors": {field: [str, ...]}}``."""
    if isinstance(exc, DomainError):
        return Response(
            {"message": "The request was refused.", "errors": exc.errors},
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    if isinstance(data, dict) and "detail" in data and len(data) == 1:
        body = {"message": str(data["detail"]), "errors": {}}
    elif isinstance(data, dict):
        body = {"message": "Some fields are invalid.", "errors": data}
    else:
        body = {"message": "The request was refused.", "errors": {"non_field_errors": data}}
    response.data = body
    return response
