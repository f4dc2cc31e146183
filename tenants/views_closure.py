"""Closing the organisation: an owner asks (password entered again, the address typed),
cancels until the date, and downloads the full export. Everyone else gets 404."""

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import DomainError
from core.roles import Role

from . import auth
from .access import require_role
from .forms import ClosureForm
from .services import (
    closure_archive_path,
    closure_archive_ready,
    is_closing,
    organisation_closure_cancel,
    organisation_closure_request,
)


def _owner_page(request):
    require_role(request, Role.OWNER)
    if request.access.via_consultant:
        raise Http404
    return request.tenant


@require_http_methods(["GET", "POST"])
@auth.recent_auth_required
def closure(request):
    organisation = _owner_page(request)
    form = ClosureForm(request.POST or None)
    # The hint sits in the field's label, read with it.
    form.fields["confirmation"].help_text = mark_safe(  # noqa: S308 - the slug is escaped
        _("Type <strong>%(slug)s</strong>.") % {"slug": escape(organisation.slug)})
    if request.method == "POST" and form.is_valid():
        try:
            organisation_closure_request(organisation=organisation, user=request.user,
                                         confirmation=form.cleaned_data["confirmation"])
        except DomainError as exc:
            exc.add_to_form(form)
        else:
            messages.success(request, _("The closure is requested. The space is read-only "
                                        "from now on; its full export is being prepared."))
            return redirect("organisation_closure")
    return render(request, "tenants/closure.html", {
        "form": form, "closing": is_closing(organisation),
        "archive_ready": closure_archive_ready(organisation),
        "grace_days": settings.ORGANISATION_CLOSURE_GRACE_DAYS,
    }, status=400 if form.errors else 200)


@require_POST
def closure_cancel(request):
    organisation = _owner_page(request)
    try:
        organisation_closure_cancel(organisation=organisation, user=request.user)
    except DomainError as exc:
        raise Http404 from exc
    messages.success(request, _("The closure is cancelled: the space is open again as "
                                "before."))
    return redirect("organisation_closure")


@require_http_methods(["GET"])
def closure_archive(request):
    organisation = _owner_page(request)
    path = closure_archive_path(organisation)
    if path is None or not is_closing(organisation) or not path.is_file():
        raise Http404
    return FileResponse(path.open("rb"), as_attachment=True, filename=path.name,
                        content_type="application/zip")
