"""Forms of reaching everyone: inviting many, a walk-in, postponing or relaunching a
campaign, and the employees' address."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .forms import LocalDateTimeField, people_field
from .models import InvitationBatch, Participant, Slot, Team
from .services.checkin import EARLY, LATE

Audience = InvitationBatch.Audience
# What an organiser may choose on the page (a relaunch's audience is the service's own).
AUDIENCE_CHOICES = [(Audience.ALL, _("Every participant")),
                    (Audience.IMPORTED, _("People from imported lists")),
                    (Audience.TEAM, _("A team")),
                    (Audience.SITE, _("A site")),
                    (Audience.NEVER_PLEDGED, _("People who have never pledged"))]


class BulkInvitationForm(forms.Form):
    audience = forms.ChoiceField(label=_("Who to invite"), choices=AUDIENCE_CHOICES,
                                 widget=forms.RadioSelect, initial=Audience.ALL)
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.all(),
                                  required=False, empty_label=_("Choose a team"),
                                  help_text=_("When inviting a team."))
    site = forms.ChoiceField(label=_("Site"), required=False,
                             help_text=_("When inviting a site."))
    lever_code = forms.ChoiceField(label=_("Lever"),
                                   help_text=_("What the invitation relies on to make "
                                               "people react: the lever analysis "
                                               "compares them."))
    channel = forms.ChoiceField(label=_("How it is sent"))

    def __init__(self, *args, levers=(), channels=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lever_code"].choices = levers
        self.fields["channel"].choices = channels
        sites = (Participant.objects.exclude(site="").order_by("site")
                 .values_list("site", flat=True).distinct())
        self.fields["site"].choices = [("", _("Choose a site"))] + [(s, s) for s in sites]


class WalkInForm(forms.Form):
    slot = forms.ModelChoiceField(label=_("Time slot"), queryset=Slot.objects.none(),
                                  empty_label=None)
    first_name = forms.CharField(label=_("First name"), max_length=100)
    last_name = forms.CharField(label=_("Last name"), max_length=100, required=False)
    email = forms.EmailField(label=_("E-mail address (optional)"), required=False,
                             help_text=_("Without one, the person gets no e-mail from us."))
    consent_to_contact = forms.TypedChoiceField(
        label=_("May we tell them about future actions?"), widget=forms.RadioSelect,
        choices=[("yes", _("Yes, they agree")), ("no", _("No"))],
        coerce=lambda value: value == "yes",
        help_text=_("Ask them: nothing is ticked for them."))

    def __init__(self, *args, campaign, **kwargs):
        super().__init__(*args, **kwargs)
        # The slots of the day: those whose check-in window is open now.
        now = timezone.now()
        slots = campaign.slots.filter(starts_at__lte=now + EARLY, ends_at__gte=now - LATE
                                      ).order_by("starts_at", "pk")
        self.fields["slot"].queryset = slots
        self.has_slots = slots.exists()
        # Before the day: the next slot, whose window opens EARLY before its start.
        self.next_slot = campaign.slots.filter(starts_at__gt=now + EARLY).order_by(
            "starts_at", "pk").first()
        self.opens_at = self.next_slot.starts_at - EARLY if self.next_slot else None
        self.fields["slot"].label_from_instance = _slot_label


def _slot_label(slot: Slot) -> str:
    from django.utils.formats import date_format, time_format
    from django.utils.timezone import localtime

    return f"{date_format(localtime(slot.starts_at), 'SHORT_DATETIME_FORMAT')} – " \
           f"{time_format(localtime(slot.ends_at))}"


class NewDatesForm(forms.Form):
    starts_at = LocalDateTimeField(label=_("New start"))
    mobilisation_deadline = LocalDateTimeField(
        label=_("New mobilisation deadline"),
        help_text=_("People can pledge until then."))


class RelaunchForm(NewDatesForm):
    participant_target = people_field(_("Participant target"))


class EmployeeAddressForm(forms.Form):
    email = forms.EmailField(label=_("Your work e-mail address"), max_length=254)
