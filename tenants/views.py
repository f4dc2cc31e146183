from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django.views.static import serve

from billing.catalogue import options
from billing.entitlements import entitlements_for
from core.errors import DomainError
from core.roles import Role
from engagement.models import Programme

from .access import require_role, resolve_access
from .email_domains import suggested_domains
from .forms import (
    AcceptInvitationForm,
    InviteForm,
    OrganisationLoginForm,
    OrganisationPasswordResetForm,
    OrganisationSettingsForm,
    SignupForm,
)
from .handoff import make_handoff_url, read_handoff
from .models import Invitation, Membership, Organisation, User
from .services import (
    accept_invitation,
    consultant_assignment_end,
    find_invitation,
    invite_member,
    organisation_update,
    owner_email_resend,
    owner_email_verify,
    provision_organisation,
    validate_slug,
)


def _add_errors(form, exc: DomainError) -> None:
    exc.add_to_form(form, {"owner_email": "email", "owner_password": "password"})


# ---- public site -------------------------------------------------------------------------

def landing(request):
    from .views_public import pricing_context

    return render(request, "tenants/landing.html", pricing_context())


@require_http_methods(["GET", "POST"])
def signup(request):
    # Bound on every POST, even an empty one (a throttled empty POST must still show the form).
    form = SignupForm(request.POST if request.method == "POST" else None,
                      initial={"locale": request.LANGUAGE_CODE, "kind": "company"})
    if request.method == "POST":
        from engagement import throttle

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
            organisation = provision_organisation(
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


def _email_subject(data) -> str:
    """The owner address a sign-up names, hashed (the cache holds no readable address)."""
    import hashlib

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
        validate_slug(slug)
    except DomainError as exc:
        return render(request, "tenants/_slug_check.html",
                      {"ok": False, "message": exc.errors["slug"][0]})
    port = f":{settings.SITE_PORT}" if settings.SITE_PORT else ""
    return render(request, "tenants/_slug_check.html",
                  {"ok": True, "host": f"{slug}.{settings.BASE_DOMAIN}{port}"})


@login_required
def my_spaces(request):
    """Every organisation the user can enter: memberships, and assignments for consultants,
    each with its state (status, open campaigns, pledges this month; for consultants their
    last visit and the accompaniment time they logged)."""
    organisations = Organisation.objects.clients().filter(memberships__user=request.user)
    if request.user.is_consultant:
        organisations = organisations | Organisation.objects.clients().filter(
            consultant_assignments__consultant=request.user
        )
    organisations = list(organisations.distinct().order_by("name"))
    return render(request, "tenants/my_spaces.html", {
        "organisations": organisations,
        "spaces": _space_states(request.user, organisations),
        "consultant_view": request.user.is_consultant,
    })


def _space_states(user, organisations: list[Organisation]) -> list[dict]:
    """The public figures in a few grouped queries, then one query per space in its own
    schema (tenant_context): the page costs a constant plus one query per space."""
    from django.db.models import Max, Sum
    from django_tenants.utils import tenant_context

    from billing.models import ConsultantTime
    from engagement.models import Campaign, Pledge

    from .models import ConsultantAccess

    ids = [organisation.pk for organisation in organisations]
    roles = dict(Membership.objects.filter(user=user, organisation_id__in=ids)
                 .values_list("organisation_id", "role"))
    last_visits, minutes = {}, {}
    if user.is_consultant:
        last_visits = dict(ConsultantAccess.objects.filter(
            consultant=user, organisation_id__in=ids).values("organisation_id")
            .annotate(last=Max("entered_at")).values_list("organisation_id", "last"))
        minutes = dict(ConsultantTime.objects.filter(
            consultant=user, organisation_id__in=ids).values("organisation_id")
            .annotate(total=Sum("minutes")).values_list("organisation_id", "total"))
    month_start = timezone.localtime().replace(day=1, hour=0, minute=0, second=0,
                                               microsecond=0)
    # Both counts in one statement per schema; table names come from the models.
    sql = (f"SELECT (SELECT count(*) FROM {Campaign._meta.db_table} WHERE status = %s), "  # noqa: S608
           f"(SELECT count(*) FROM {Pledge._meta.db_table} "
           f"WHERE status = %s AND created_at >= %s)")
    spaces = []
    for organisation in organisations:
        open_campaigns = pledges = None
        if organisation.status != Organisation.Status.CLOSED:
            with tenant_context(organisation), connection.cursor() as cursor:
                cursor.execute(sql, [Campaign.Status.OPEN, Pledge.Status.CONFIRMED,
                                     month_start])
                open_campaigns, pledges = cursor.fetchone()
        role = roles.get(organisation.pk)
        spaces.append({
            "organisation": organisation,
            "role": Role(role).label if role else _("Consultant"),
            "open_campaigns": open_campaigns, "pledges_this_month": pledges,
            "last_visit": last_visits.get(organisation.pk),
            "minutes_logged": minutes.get(organisation.pk) or 0,
        })
    return spaces


@login_required
def enter_space(request, slug):
    organisation = Organisation.objects.clients().filter(slug=slug).first()
    if organisation is None or resolve_access(request.user, organisation) is None:
        raise Http404
    return redirect(make_handoff_url(request.user, organisation,
                                     verified=request.user.is_verified()))


# ---- both hosts ----------------------------------------------------------------------------

class LoginView(auth_views.LoginView):
    form_class = OrganisationLoginForm
    template_name = "tenants/login.html"
    redirect_authenticated_user = True

    def get_default_redirect_url(self):
        if connection.schema_name == settings.PUBLIC_SCHEMA_NAME:
            return "/accounts/"
        return super().get_default_redirect_url()

    def form_valid(self, form):
        """Log in (Django gives the session a new key), then the session owes its second
        factor if the person has one or must have one (tenants.auth)."""
        from .auth import start_session

        user = form.get_user()
        login(self.request, user)
        start_session(self.request, user)
        return redirect(self.get_success_url())


class PasswordResetView(auth_views.PasswordResetView):
    form_class = OrganisationPasswordResetForm
    template_name = "tenants/password_reset.html"
    email_template_name = "tenants/email/password_reset.txt"
    subject_template_name = "tenants/email/password_reset_subject.txt"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "request": self.request}

    def post(self, request, *args, **kwargs):
        from engagement import throttle

        try:  # per client address and per address asked for, refused attempts counted too
            throttle.check(request, "password_reset",
                           subject=(request.POST.get("email") or "").strip().lower()[:254])
        except throttle.RateLimited as exc:
            form = self.get_form()
            form.is_valid()
            form.add_error(None, exc.message)
            return self.render_to_response(self.get_context_data(form=form),
                                           status=throttle.STATUS)
        return super().post(request, *args, **kwargs)


def handoff(request, token):
    user = read_handoff(token, request.tenant)
    # Claim the token atomically: of two simultaneous uses, only one moves last_login.
    claimed = user is not None and User.objects.filter(
        pk=user.pk, last_login=user.last_login).update(last_login=timezone.now()) == 1
    if not claimed or resolve_access(user, request.tenant) is None:
        messages.error(request, _("This login link has expired. Please log in."))
        return redirect("login")
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    from .auth import confirmed_device, start_session
    from .handoff import was_verified

    # A second factor proven on the public site carries over; otherwise it is owed here.
    start_session(request, user, verified_device=confirmed_device(user)
                  if was_verified(token) else None)
    return redirect("home")


# ---- tenant host ---------------------------------------------------------------------------

def _first_steps(organisation) -> list[dict]:
    """The first-run checklist of a new space, each step ticked once it is done."""
    from django.urls import reverse

    from engagement.models import Campaign

    member_count = Membership.objects.filter(organisation=organisation).count()
    return [
        {"label": _("Choose a methodology template"), "url": reverse("template_library"),
         "done": Programme.objects.filter(template_version__isnull=False).exists()},
        {"label": _("Create a campaign with its time slots"), "url": reverse("programmes"),
         "done": Campaign.objects.filter(slots__isnull=False).exists()},
        {"label": _("Open it and share its address"), "url": reverse("campaign_list"),
         "done": Campaign.objects.exclude(status=Campaign.Status.DRAFT).exists()},
        {"label": _("Invite colleagues to run it with you"), "url": reverse("invite"),
         "done": member_count > 1 or Invitation.objects.filter(
             organisation=organisation, revoked_at__isnull=True).exists()},
    ]


def home(request):
    organisation = request.tenant
    first_steps = _first_steps(organisation) if request.access.can_manage else []
    return render(request, "tenants/home.html", {
        "programme_count": Programme.objects.count(),
        "member_count": Membership.objects.filter(organisation=organisation).count(),
        "recent_programmes": Programme.objects.all()[:5],
        # Shown until every step is done.
        "first_steps": first_steps if not all(s["done"] for s in first_steps) else [],
        "first_steps_done": sum(1 for s in first_steps if s["done"]),
    })


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
            invitation = invite_member(
                organisation=request.tenant,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                invited_by=request.user,
                inviter_role=access.role,
                inviter_is_consultant=access.via_consultant,
            )
        except DomainError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Invitation sent to %(email)s.") % {
                "email": invitation.email})
            return redirect("members")
    return render(request, "tenants/invite.html", {"form": form}, status=400 if form.errors
                  else 200)


@require_http_methods(["GET", "POST"])
def accept(request, token):
    invitation = find_invitation(organisation=request.tenant, token=token)
    if invitation is None:
        return render(request, "tenants/invitation_invalid.html", status=404)
    signed_in = request.user.is_authenticated
    invitee = User.objects.filter(email__iexact=invitation.email).first()
    has_account = invitee is not None and invitee.has_usable_password()
    form = None if signed_in else AcceptInvitationForm(request.POST or None,
                                                       has_account=has_account)
    if request.method == "POST" and (signed_in or form.is_valid()):
        try:
            user = accept_invitation(
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
                _add_errors(form, exc)
        else:
            if not signed_in:
                from .auth import start_session

                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                start_session(request, user)
            messages.success(request, _("Welcome to %(name)s.") % {"name": request.tenant.name})
            return redirect("home")
    return render(request, "tenants/accept.html", {"invitation": invitation, "form": form})


@require_http_methods(["GET", "POST"])
def organisation_settings(request):
    require_role(request, Role.OWNER)
    organisation = request.tenant
    form = OrganisationSettingsForm(
        request.POST or None, request.FILES or None,
        initial={"name": organisation.name, "locale": organisation.locale,
                 "time_zone": organisation.time_zone,
                 "allowed_email_domains": ", ".join(
                     organisation.allowed_email_domains or _owners_domains(organisation)),
                 "brand_colour": organisation.brand_colour, "logo": organisation.logo},
    )
    branded = entitlements_for(organisation).allows("branded_space")
    if not branded:  # colours and logo are the "branded space" option
        del form.fields["brand_colour"], form.fields["logo"]
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            organisation_update(
                organisation=organisation, name=data["name"], locale=data["locale"],
                time_zone=data["time_zone"],
                brand_colour=data.get("brand_colour", organisation.brand_colour),
                logo=data.get("logo") or None, remove_logo=data.get("logo") is False,
                allowed_email_domains=data["allowed_email_domains"],
            )
        except DomainError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Settings saved."))
            return redirect("organisation_settings")
    return render(request, "tenants/settings.html",
                  {"form": form, "branded": branded,
                   "branding_option": options()["branded_space"]},
                  status=400 if form.errors else 200)


def _owners_domains(organisation) -> list[str]:
    """What an empty list of allowed domains is pre-filled with: the owners' own domains
    (never a public webmail one)."""
    return suggested_domains(*Membership.objects.filter(
        organisation=organisation, role=Role.OWNER).values_list("user__email", flat=True))


@require_http_methods(["POST"])
def resend_verification(request):
    """The banner's "send the link again" (owners of an unverified space)."""
    from engagement import throttle

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


@require_http_methods(["GET"])
def access_log(request):
    """Owners: who entered the space from outside it (Fullmobs consultants, and staff, who
    enter only as consultants) and when; the consultants accompanying it now."""
    from django.core.paginator import Paginator

    from .models import ConsultantAccess, ConsultantAssignment

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


def tenant_media(request, schema_name, path):
    """Uploaded files of the current organisation only; another schema's files are 404."""
    if schema_name != request.tenant.schema_name:
        raise Http404
    return serve(request, path, document_root=settings.MEDIA_ROOT / schema_name)
