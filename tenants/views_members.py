"""Colleagues of an organisation: the list, inviting one, accepting an invitation."""

from django.contrib import messages
from django.contrib.auth import login
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.errors import DomainError
from core.roles import Role

from .access import require_role
from .forms import AcceptInvitationForm, InviteForm
from .models import Invitation, Membership, User
from .services import invitation_accept, invitation_find, member_invite


@require_http_methods(["GET"])
def members(request):
    organisation = request.tenant
    return render(request, "tenants/members.html", {
        "memberships": Membership.objects.filter(organisation=organisation)
        .select_related("user").order_by("user__email"),
        "invitations": Invitation.objects.filter(
            organisation=organisation, accepted_at__isnull=True, revoked_at__isnull=True
        ),
        "form": InviteForm() if request.access.can_manage else None,
    })


@require_http_methods(["GET", "POST"])
def invite(request):
    access = require_role(request, Role.MANAGER)
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation = member_invite(
                organisation=request.tenant,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                invited_by=request.user,
                inviter_role=access.role,
                inviter_is_consultant=access.via_consultant,
            )
        except DomainError as exc:
            exc.add_to_form(form)
        else:
            messages.success(request, _("Invitation sent to %(email)s.") % {
                "email": invitation.email})
            return redirect("members")
    return render(request, "tenants/invite.html", {"form": form}, status=400 if form.errors
                  else 200)


@require_http_methods(["GET", "POST"])
def accept(request, token):
    invitation = invitation_find(organisation=request.tenant, token=token)
    if invitation is None:
        return render(request, "tenants/invitation_invalid.html", status=404)
    signed_in = request.user.is_authenticated
    invitee = User.objects.filter(email__iexact=invitation.email).first()
    has_account = invitee is not None and invitee.has_usable_password()
    form = None if signed_in else AcceptInvitationForm(request.POST or None,
                                                       has_account=has_account)
    if request.method == "POST" and (signed_in or form.is_valid()):
        try:
            user = invitation_accept(
                invitation=invitation,
                user=request.user if signed_in else None,
                full_name="" if signed_in else form.cleaned_data.get("full_name", ""),
                password=None if signed_in else form.cleaned_data["password"],
            )
        except DomainError as exc:
            if form is None:
                for errors in exc.errors.values():
                    for error in errors:
                        messages.error(request, error)
            else:
                exc.add_to_form(form)
        else:
            if not signed_in:
                from .auth import start_session

                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                start_session(request, user)
            messages.success(request, _("Welcome to %(name)s.") % {"name": request.tenant.name})
            return redirect("home")
    return render(request, "tenants/accept.html", {"invitation": invitation, "form": form})
