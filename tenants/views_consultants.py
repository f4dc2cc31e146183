"""Consultants seen from the organisation: who entered the space, and ending an accompaniment."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.errors import DomainError
from core.roles import Role

from .access import require_role
from .models import ConsultantAccess, ConsultantAssignment
from .services import consultant_assignment_end


@require_http_methods(["GET"])
def access_log(request):
    """Owners: who entered the space from outside it (Fullmobs consultants, and staff, who
    enter only as consultants) and when; the consultants accompanying it now."""
    require_role(request, Role.OWNER)
    entries = (ConsultantAccess.objects.filter(organisation=request.tenant)
               .select_related("consultant").order_by("-entered_at"))
    return render(request, "tenants/access_log.html", {
        "page": Paginator(entries, 50).get_page(request.GET.get("page")),
        "assignments": ConsultantAssignment.objects.filter(organisation=request.tenant)
        .select_related("consultant").order_by("assigned_at"),
    })


@require_http_methods(["POST"])
def end_assignment(request, consultant_id):
    require_role(request, Role.OWNER)
    try:
        consultant_assignment_end(organisation=request.tenant, consultant_id=consultant_id,
                                  ended_by=request.user)
    except DomainError as exc:
        raise Http404 from exc
    messages.success(request, _("The accompaniment has ended: this consultant can no longer "
                                "enter your space."))
    return redirect("access_log")
