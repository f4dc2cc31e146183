"""API conventions shared by every app: JSON errors with a message and the offending fields."""

from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import DomainError


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


ERROR_SCHEMA = {
    "type": "object",
    "description": "Every refusal: a message for people, and the offending fields.",
    "properties": {
        "message": {"type": "string"},
        "errors": {"type": "object", "description": "Field name → messages (nested for "
                                                    "nested fields).",
                   "additionalProperties": True},
    },
    "required": ["message", "errors"],
}
# Answers any operation can give, whatever its own documentation says: the error format of
# exception_handler above, for these reasons.
COMMON_REFUSALS = {
    "400": "Invalid input: the fields at fault are named in `errors`.",
    "401": "Not authenticated (a token was sent but is not valid).",
    "403": "Not authenticated, not allowed for this role, or not in the organisation's plan; "
           "or the space is read-only.",
    "404": "Not found, or not yours: another organisation's objects and spaces are never "
           "confirmed to exist.",
    "429": "Too many requests: wait and try again.",
}


def document_common_refusals(result, generator, request, public):
    """drf-spectacular post-processing hook: every operation documents the refusals it can
    give (schemathesis checks that every status code answered is documented)."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("Error", ERROR_SCHEMA)
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for item in result.get("paths", {}).values():
        for method, operation in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            responses = operation.setdefault("responses", {})
            for code, description in COMMON_REFUSALS.items():
                responses.setdefault(code, {"description": description, "content": error})
    return result


@csrf_exempt  # it changes nothing; a CSRF refusal would answer an HTML page instead
def not_found(request, *args, **kwargs):
    """Any other address under /api/: the API's own 404, in its JSON error format (never the
    HTML page), whatever the method."""
    return JsonResponse({"message": "Not found.", "errors": {}}, status=404)


def schema_view():
    """The schema of the host's own API: an organisation's operations on its host, the
    public site's (tokens, organisations) on the public site. drf-spectacular would
    otherwise describe ROOT_URLCONF, the organisations' API, everywhere."""
    from drf_spectacular.views import SpectacularAPIView

    class HostSchemaView(SpectacularAPIView):
        def _get_schema_response(self, request):
            self.urlconf = getattr(request, "urlconf", None) or self.urlconf
            return super()._get_schema_response(request)

    return HostSchemaView.as_view()
