from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import escape, format_html
from django.utils.translation import gettext_lazy as _

from core.i18n import language
from core.roles import Role
from core.tenancy import on_public_schema
from core.zones import zone_choices

from .access import resolve_access
from .email_domains import parse_domains
from .email_html import account_email_send
from .models import Organisation, slug_validator


class OrganisationLoginForm(AuthenticationForm):
    """Login on a tenant host: only people with access to that organisation get in.

    Others see the same message as for a wrong password, so the form never tells whether
    an account exists elsewhere.
    """

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        organisation = getattr(self.request, "tenant", None)
        if organisation is None or on_public_schema():
            return
        if resolve_access(user, organisation) is None:
            raise self.get_invalid_login_error()


class OrganisationPasswordResetForm(PasswordResetForm):
    """On a tenant host, reset e-mails go only to people with access to it."""

    def __init__(self, *args, request=None, **kwargs):
        self.request = request
        super().__init__(*args, **kwargs)

    def get_users(self, email):
        users = super().get_users(email)
        organisation = getattr(self.request, "tenant", None)
        if organisation is None or on_public_schema():
            yield from users
            return
        for user in users:
            if resolve_access(user, organisation) is not None:
                yield user

    def send_mail(self, subject_template_name, email_template_name, context, from_email,
                  to_email, html_email_template_name=None):
        """The reset e-mail with its HTML part (Fullmobs' frame, the link as its button)."""
        subject = "".join(render_to_string(subject_template_name, context).splitlines())
        link = "{}://{}{}".format(context["protocol"], context["domain"], reverse(
            "password_reset_confirm",
            kwargs={"uidb64": context["uid"], "token": context["token"]}))
        account_email_send(subject=subject,
                           body=render_to_string(email_template_name, context),
                           to=to_email, language=language(), action_url=link,
                           action_label=_("Choose a new password"))

    def save(self, **kwargs):
        """The link's scheme, host and port come from the settings (the organisation's own
        address, or the public site's), never from the request: its Host header is the
        visitor's to write, and the link goes to someone else's mailbox."""
        organisation = getattr(self.request, "tenant", None)
        on_public_site = (organisation is None
                          or on_public_schema())
        host = settings.BASE_DOMAIN if on_public_site else organisation.primary_host
        port = f":{settings.SITE_PORT}" if settings.SITE_PORT else ""
        kwargs["domain_override"] = f"{host}{port}"
        kwargs["use_https"] = settings.SITE_SCHEME == "https"
        return super().save(**kwargs)


class SignupForm(forms.Form):
    live_slug_check = True

    name = forms.CharField(label=_("Organisation name"), max_length=150)
    slug = forms.CharField(
        label=_("Address"),
        max_length=40,
        validators=[slug_validator],
    )
    kind = forms.ChoiceField(
        label=_("Kind"), choices=Organisation.Kind.choices,
        help_text=_("Associations and citizens' collectives get the free plan, with no end "
                    "date. Companies and local authorities start with a 30-day trial."))
    locale = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    full_name = forms.CharField(label=_("Your name"), max_length=150)
    email = forms.EmailField(label=_("Your work e-mail"))
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput,
                               strip=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The address the space will really have, updated as the visitor types
        # (static/js/organiser.js derives the address from the name).
        slug = (self.data.get("slug") or "").strip().lower() if self.is_bound else ""
        port = f":{settings.SITE_PORT}" if settings.SITE_PORT else ""
        # Outside the f-string below: makemessages does not read inside one.
        placeholder = _("your-organisation")
        self.fields["slug"].help_text = format_html(
            escape(_("Your space will be at %(host)s") % {"host": "{}"}),
            format_html('<strong id="slug-host" data-domain="{}">{}</strong>',
                        f".{settings.BASE_DOMAIN}{port}",
                        f"{slug or placeholder}.{settings.BASE_DOMAIN}{port}"))
        self.fields["name"].widget.attrs["data-derive-slug"] = "id_slug"
        # Live availability check as the visitor types (HTMX); the form works without it.
        self.fields["slug"].widget.attrs.update({
            "hx-get": reverse("check_slug"),
            "hx-trigger": "input changed delay:300ms",
            "hx-target": "#slug-check",
            "hx-swap": "innerHTML",
            "autocomplete": "off",
            "aria-describedby": "slug-check",
        })




class OrganisationSettingsForm(forms.Form):
    name = forms.CharField(label=_("Organisation name"), max_length=150)
    locale = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES,
                               help_text=_("Default language of e-mails to your people."))
    # Choices are set per form: the common zones, and the organisation's own if elsewhere.
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        help_text=_("Pages, forms, e-mails, calendar files, reports and exports show dates "
                    "and times in this zone, whatever the reader's own. Changing it does not "
                    "move what is planned: each slot keeps its moment, shown in the new "
                    "zone."),
        error_messages={"invalid_choice": _("Choose a time zone from the list.")})
    allowed_email_domains = forms.CharField(
        label=_("E-mail domains of your people"), required=False,
        help_text=_("People with an address at these domains (for example acme.com, "
                    "acme.fr) may join your internal campaigns after confirming their "
                    "address. Separate them with commas. Public services such as gmail.com "
                    "are refused."),
        widget=forms.TextInput(attrs={"autocomplete": "off",
                                      "placeholder": "acme.com, acme.fr"}))
    brand_colour = forms.CharField(label=_("Brand colour"), max_length=7,
                                   widget=forms.TextInput(attrs={"type": "color"}))
    logo = forms.FileField(label=_("Logo"), required=False,
                           help_text=_("PNG, JPEG or WebP, up to 1 MB."),
                           widget=forms.ClearableFileInput(
                               attrs={"accept": "image/png,image/jpeg,image/webp"}))
    participant_retention_months = forms.IntegerField(
        label=_("Keep the personal data of inactive participants for (months)"),
        min_value=6, max_value=72, required=False,
        help_text=_("From 6 to 72 months after a person's last action (joining, pledging, "
                    "checking in, answering a survey, opening their page). A month before, "
                    "they get an e-mail; if they still do nothing, their name, address and "
                    "other details are erased. Their hours stay in your figures, "
                    "anonymously."),
        error_messages={
            "min_value": _("Keep participants' data between 6 and 72 months."),
            "max_value": _("Keep participants' data between 6 and 72 months."),
            "invalid": _("Keep participants' data between 6 and 72 months.")})
    report_retention_months = forms.IntegerField(
        label=_("Keep report files for (months)"), min_value=1, max_value=120,
        required=False,
        help_text=_("From 1 to 120 months after a PDF report was made; then the file is "
                    "deleted (the reports page says when), and you can request it again."),
        error_messages={
            "min_value": _("Keep report files between 1 and 120 months."),
            "max_value": _("Keep report files between 1 and 120 months."),
            "invalid": _("Keep report files between 1 and 120 months.")})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        zone = self.fields["time_zone"]
        assert isinstance(zone, forms.ChoiceField)
        zone.choices = zone_choices(current=str(self.initial.get("time_zone") or ""))

    def clean_allowed_email_domains(self):
        return parse_domains(self.cleaned_data["allowed_email_domains"])


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"))
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.VIEWER)


class AcceptInvitationForm(forms.Form):
    full_name = forms.CharField(label=_("Your name"), max_length=150, required=False)
    password = forms.CharField(label=_("Choose a password"), widget=forms.PasswordInput,
                               strip=False)

    def __init__(self, *args, has_account: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if has_account:  # an existing login proves itself with its password
            del self.fields["full_name"]
            self.fields["password"].label = _("Your Fullmobs password")


class ClosureForm(forms.Form):
    confirmation = forms.CharField(
        label=_("Type the address of your space to confirm"), max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}))
