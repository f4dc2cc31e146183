"""Self-service sign-up on the public site: the form, the address check as one types, the
owner's e-mail confirmation (and, on the space, sending its link again)."""

import hashlib

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.errors import DomainError
from core.roles import Role

from . import throttle
from .access import require_role
from .forms import SignupForm
from .handoff import make_handoff_url
from .models import Membership, Organisation
from .services import organisation_provision, owner_email_resend, owner_email_verify, slug_validate


def _add_errors(form, exc: DomainError) -> None:
    exc.add_to_form(form, {"owner_email": "email", "owner_password": "password"})


@require_http_methods(["GET", "POST"])
def signup(request):
    # Bound on every POST, even an empty one (a throttled empty POST must still show the form).
    form = SignupForm(request.POST if request.method == "POST" else None,
                      initial={"locale": request.LANGUAGE_CODE,
                               "kind": _initial_kind(request.GET.get("kind"))})
    if request.method == "POST":
        try:  # counted before validation: refused attempts count too
            throttle.check(request, "signup", subject=_email_subject(request.POST))
        except throttle.RateLimited as exc:
            form.is_valid()
            form.add_error(None, exc.message)
            return render(request, "tenants/signup.html", {"form": form},
                          status=throttle.STATUS)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            organisation = organisation_provision(
                name=data["name"],
                slug=data["slug"],
                kind=data["kind"],
                locale=data["locale"],
                owner_email=data["email"],
                owner_password=data["password"],
                owner_name=data["full_name"],
                verify_owner_email=True,
            )
        except DomainError as exc:
            _add_errors(form, exc)
        else:
            membership = Membership.objects.select_related("user").filter(
                organisation=organisation, role=Role.OWNER).first()
            if membership is None:
                # The address already has an account: whoever holds the mailbox accepts
                # the space from the e-mail; nobody is logged in here.
                return render(request, "tenants/signup_check_email.html",
                              {"email": data["email"]})
            return redirect(make_handoff_url(membership.user, organisation))
    return render(request, "tenants/signup.html", {"form": form})


def _initial_kind(asked: str | None) -> str:
    """The kind a link to the form names (the pricing page's free plan names "association")."""
    return asked if asked in Organisation.Kind.values else Organisation.Kind.COMPANY


def _email_subject(data) -> str:
    """The owner address a sign-up names, hashed (the cache holds no readable address)."""
    email = (data.get("email") or "").strip().lower()
    return "signup-email:" + hashlib.sha256(email.encode()).hexdigest()[:32]


@require_http_methods(["GET"])
def verify_owner_email(request, token):
    """The link of the confirmation e-mail: the space becomes fully usable."""
    try:
        organisation = owner_email_verify(token=token)
    except DomainError:
        return render(request, "tenants/verify_invalid.html", status=404)
    return render(request, "tenants/verify_done.html", {
        "verified_organisation": organisation,
        "space_url": organisation.absolute_url("/")})


@require_http_methods(["GET"])
def check_slug(request):
    """HTMX: tell the sign-up form, as the visitor types, whether an address is free."""
    slug = request.GET.get("slug", "").strip().lower()
    if not slug:
        return HttpResponse("")
    try:
        slug_validate(slug)
    except DomainError as exc:
        return render(request, "tenants/_slug_check.html",
                      {"ok": False, "message": exc.errors["slug"][0]})
    port = f":{settings.SITE_PORT}" if settings.SITE_PORT else ""
    return render(request, "tenants/_slug_check.html",
                  {"ok": True, "host": f"{slug}.{settings.BASE_DOMAIN}{port}"})


@require_http_methods(["POST"])
def resend_verification(request):
    """The banner's "send the link again" (owners of an unverified space)."""
    require_role(request, Role.OWNER)
    try:
        throttle.check(request, "signup_resend", subject=request.tenant)
        owner_email_resend(organisation=request.tenant, owner=request.user)
    except throttle.RateLimited as exc:
        messages.error(request, exc.message)
    except DomainError as exc:
        messages.error(request, exc.text)
    else:
        messages.success(request, _("We sent the link again to %(email)s.") % {
            "email": request.user.email})
    return redirect("home")
