from django import forms
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from .models import PEOPLE_MAX, Programme, Team, at_most_people
from .services.consent import consent_wording

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def people_field(label, **kwargs) -> forms.IntegerField:
    """A number of people (a target, a slot's places): from 1 to ``PEOPLE_MAX``, the bound
    told on the field in the reader's way of writing numbers."""
    return forms.IntegerField(label=label, min_value=1, validators=[at_most_people()],
                              widget=forms.NumberInput(attrs={"max": PEOPLE_MAX}), **kwargs)


class ProgrammeForm(forms.ModelForm):
    class Meta:
        model = Programme
        fields = ["name", "description", "starts_on", "ends_on", "participant_target"]
        widgets = {"starts_on": DATE, "ends_on": DATE,
                   "description": forms.Textarea(attrs={"rows": 3})}

    def clean(self):
        data = super().clean()
        if data.get("starts_on") and data.get("ends_on") and data["ends_on"] < data["starts_on"]:
            self.add_error("ends_on", _("The end date must be on or after the start date."))
        return data


class ProgrammeFromTemplateForm(forms.Form):
    name = forms.CharField(label=_("Programme name"), max_length=200)
    starts_on = forms.DateField(label=_("Start date"), widget=DATE)
    action_date = forms.DateField(label=_("Action date"), widget=DATE,
                                  help_text=_("The checklist's due dates count from this day."))
    ends_on = forms.DateField(label=_("End date"), widget=DATE)
    participant_target = people_field(_("Participant target"))


DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class CampaignForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(label=_("Description"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 5}),
                                  help_text=_("Markdown: **bold**, lists, links."))
    place = forms.CharField(label=_("Place"), max_length=300, required=False)
    starts_at = forms.DateTimeField(label=_("Starts"), widget=DATETIME)
    ends_at = forms.DateTimeField(label=_("Ends"), widget=DATETIME)
    participant_target = people_field(_("Participant target"))
    mobilisation_deadline = forms.DateTimeField(
        label=_("Mobilisation deadline"), widget=DATETIME,
        help_text=_("The action takes place only if the target is reached by then."))
    visibility = forms.ChoiceField(label=_("Visibility"), choices=[
        ("internal", _("Internal to the organisation")), ("public", _("Public"))])
    party_approval_above = forms.IntegerField(
        label=_("Companions without approval"), min_value=0, max_value=20, initial=5,
        required=False,
        help_text=_("A participant bringing more people than this waits for your approval "
                    "(on the campaign page) before their group takes places."))

    def clean_party_approval_above(self):
        value = self.cleaned_data.get("party_approval_above")
        return 5 if value is None else value


class NewCampaignForm(CampaignForm):
    capacity = people_field(
        _("Places in the first time slot"),
        help_text=_("One slot covering the whole action; add more slots afterwards."))


class SlotForm(forms.Form):
    starts_at = forms.DateTimeField(label=_("Starts"), widget=DATETIME)
    ends_at = forms.DateTimeField(label=_("Ends"), widget=DATETIME)
    capacity = people_field(_("Places"))


class JoinForm(forms.Form):
    slots = forms.TypedMultipleChoiceField(label=_("Time slots"), coerce=int,
                                           widget=forms.CheckboxSelectMultiple)
    email = forms.EmailField(label=_("E-mail address"))
    first_name = forms.CharField(label=_("First name"), max_length=100)
    last_name = forms.CharField(label=_("Last name"), max_length=100, required=False)
    companions = forms.IntegerField(label=_("People coming with you"), min_value=0,
                                    max_value=20, initial=0, required=False)
    companion_names = forms.CharField(label=_("Their first names (optional)"),
                                      max_length=300, required=False)
    # The label is the recorded wording itself: what is recorded is what was shown.
    consent_to_contact = forms.BooleanField(
        label=lazy(consent_wording, str)(), required=False)

    def __init__(self, *args, slots=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["slots"].choices = [(slot.pk, str(slot.pk)) for slot in slots]


class ImpactForm(forms.Form):
    indicator = forms.TypedChoiceField(label=_("Indicator"), coerce=int)
    value = forms.DecimalField(label=_("Value"), min_value=0, max_digits=12,
                               decimal_places=2)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args, indicators=(), **kwargs):
        super().__init__(*args, **kwargs)
        # The formatting layer lives with the reports for now; it belongs at the bottom.
        from core.formatting import unit_name

        self.fields["indicator"].choices = [
            (i.pk, f"{i.tr('label')} ({unit_name(i.unit)})") for i in indicators]


class CampaignInvitationForm(forms.Form):
    channel = forms.ChoiceField(label=_("Channel"))
    lever_code = forms.ChoiceField(label=_("Lever"))
    audience_label = forms.CharField(label=_("Who you are inviting"), max_length=200,
                                     required=False,
                                     help_text=_("e.g. “Finance department, Lyon site”"))
    invitee_email = forms.EmailField(label=_("Their e-mail (for the e-mail channel)"),
                                     required=False)

    def __init__(self, *args, channels=(), levers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channel"].choices = channels
        self.fields["lever_code"].choices = levers


class CheckInForm(forms.Form):
    email = forms.EmailField(label=_("The e-mail address you pledged with"))


class VerifyEmailForm(forms.Form):
    email = forms.EmailField(label=_("Your organisation e-mail address"))


class ParticipantFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False,
                        help_text=_("E-mail address or name."))
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.all(),
                                  required=False, empty_label=_("All teams"))
    site = forms.ChoiceField(label=_("Site"), required=False)

    def __init__(self, *args, sites: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        site = self.fields["site"]
        assert isinstance(site, forms.ChoiceField)
        site.choices = [("", _("All sites")), *((s, s) for s in sites)]


class ParticipantImportForm(forms.Form):
    file = forms.FileField(label=_("CSV file"), required=False,
                           help_text=_("UTF-8, comma or semicolon separated, with "
                                       "a header row."))
    text = forms.CharField(label=_("Or paste the rows"), required=False,
                           strip=False,
                           widget=forms.Textarea(attrs={"rows": 8, "class": "code"}))
    consent_collected = forms.BooleanField(
        label=_("Our organisation collected the consent of the people marked “yes” in the "
                "consent column to hear about future actions"), required=False,
        help_text=_("Without it, rows saying “yes” are refused. “no” never withdraws a "
                    "consent: only the person can."))

    def clean(self):
        data = super().clean()
        if bool(data.get("file")) == bool((data.get("text") or "").strip()):
            raise forms.ValidationError(_("Choose a file or paste the rows: one of the two."))
        return data


class ImportConfirmForm(forms.Form):
    dry_run = forms.CharField(widget=forms.HiddenInput, initial="0")
    digest = forms.CharField(widget=forms.HiddenInput)
    only_valid = forms.BooleanField(
        label=_("Import only the valid rows (the rows listed above are left out)"),
        required=False)
