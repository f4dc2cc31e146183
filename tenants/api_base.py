"""The base of an organisation's API resources, shared by the apps above (engagement,
reports): scoping, filters, the methods a resource answers.

Scoping is by construction: the host selects the organisation's schema, so querysets only
ever see that organisation's rows and another organisation's id is simply unknown (404).
The default permission (``tenants.permissions.IsOrganisationMember``) lets members read and
managers write; outsiders get 404.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import viewsets

if TYPE_CHECKING:
    from .access import Access


class OrganisationViewSet(viewsets.GenericViewSet):
    """Base of the organisation's resources: subclasses set ``queryset`` (from a selector)
    and declare their list filters in ``filterset_class`` (a django-filter FilterSet, see
    ``core.filters``) rather than overriding ``get_queryset``. Changes go through PATCH
    (services take the fields they may change); nothing is deleted here."""

    filter_backends = [DjangoFilterBackend]
    http_method_names = ["get", "post", "patch", "head", "options"]


def request_access(serializer) -> Access | None:
    """The reader's access (role, consultant or not) in a serializer's context, if any."""
    request = serializer.context.get("request")
    return getattr(request, "access", None)
