from django.http import Http404
from rest_framework.permissions import BasePermission

from core.tenancy import on_public_schema

from .access import log_consultant_entry, resolve_access


class IsOrganisationMember(BasePermission):
    """Default API permission on tenant hosts: a member or assigned consultant.

    Authenticated users without access get 404 (as on pages): the API never confirms that
    an organisation or an object exists to someone who may not see it. Writes need the
    manager role unless a view says otherwise (``write_role``).
    """

    def has_permission(self, request, view) -> bool:
        organisation = getattr(request, "tenant", None)
        if organisation is None or on_public_schema():
            return bool(request.user and request.user.is_authenticated)
        if not request.user.is_authenticated:
            return False
        access = resolve_access(request.user, organisation)
        if access is None:
            raise Http404
        request.access = access
        if access.via_consultant:
            log_consultant_entry(request, organisation)
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return True
        return access.at_least(getattr(view, "write_role", "manager"))
