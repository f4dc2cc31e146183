"""Logging in on either host, the password reset, and the hand-off from the public site to a
space (entering it from "My spaces")."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _

from core.tenancy import on_public_schema

from . import throttle
from .access import resolve_access
from .forms import OrganisationLoginForm, OrganisationPasswordResetForm
from .handoff import make_handoff_url, read_handoff
from .models import Organisation, User


class LoginView(auth_views.LoginView):
    form_class = OrganisationLoginForm
    template_name = "tenants/login.html"
    redirect_authenticated_user = True

    def get_default_redirect_url(self):
        if on_public_schema():
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


@login_required
def enter_space(request, slug):
    organisation = Organisation.objects.clients().filter(slug=slug).first()
    if organisation is None or resolve_access(request.user, organisation) is None:
        raise Http404
    return redirect(make_handoff_url(request.user, organisation,
                                     verified=request.user.is_verified()))
