from django import forms
from django.utils.functional import lazy
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.zones import zone_name

from .bilingual import organisation_language
from .bilingual_forms import BilingualFormMixin
from .models import CHALLENGE_GOAL_MAX, PEOPLE_MAX, Campaign, Programme, Team, at_most_people
from .services.consent import consent_wording

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def people_field(label, **kwargs) -> forms.IntegerField:
    """A number of people (a target, a slot's places): from 1 to ``PEOPLE_MAX``, the bound
    told on the field in the reader's way of writing numbers."""
    return forms.IntegerField(label=label, min_value=1, validators=[at_most_people()],
                              widget=forms.NumberInput(attrs={"max": PEOPLE_MAX}), **kwargs)


class ProgrammeForm(BilingualFormMixin, forms.ModelForm):
    translated_fields = ("name", "description")

    class Meta:
        model = Programme
        fields = ["name", "description", "starts_on", "ends_on", "participant_target"]
        widgets = {"starts_on": DATE, "ends_on": DATE,
                   "description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, content_language: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.add_translation_fields(self.instance.content_language, self.instance)
        else:
            self.add_translation_fields(content_language or organisation_language())

    def clean(self):
        data = super().clean()
        if data.get("starts_on") and data.get("ends_on") and data["ends_on"] < data["starts_on"]:
            self.add_error("ends_on", _("The end date must be on or after the start date."))
        return data


class ProgrammeFromTemplateForm(BilingualFormMixin, forms.Form):
    translated_fields = ("name",)

    name = forms.CharField(label=_("Programme name"), max_length=200)
    starts_on = forms.DateField(label=_("Start date"), widget=DATE)
    action_date = forms.DateField(label=_("Action date"), widget=DATE,
                                  help_text=_("The checklist's due dates count from this day."))
    ends_on = forms.DateField(label=_("End date"), widget=DATE)
    participant_target = people_field(_("Participant target"))

    def __init__(self, *args, version=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_translation_fields(organisation_language())
        if version is not None:
            # The template's title in each language: the programme's name in each.
            self.initial.setdefault("name", getattr(version, f"title_{self.content_language}"))
            self.initial.setdefault(f"name_{self.other_language}",
                                    getattr(version, f"title_{self.other_language}"))


DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def _local_time_hint() -> str:
    return gettext("Local time: %(zone)s.") % {"zone": zone_name()}


class LocalDateTimeField(forms.DateTimeField):
    """A date and time typed in the organisation's zone (the active one, see core/zones.py),
    shown in it, and saying which zone it is under the field. A time that the change to or
    from summer time skips or repeats is refused in words, not with the zone's code."""

    def __init__(self, *, help_text="", **kwargs):
        hint = lazy(_local_time_hint, str)()
        help_text = format_lazy("{} {}", help_text, hint) if help_text else hint
        super().__init__(widget=DATETIME, help_text=help_text, **kwargs)

    def to_python(self, value):
        try:
            return super().to_python(value)
        except forms.ValidationError as exc:
            if getattr(exc, "code", None) != "ambiguous_timezone":
                raise
            raise forms.ValidationError(
                _("This time does not exist or occurs twice on that day in %(zone)s (a "
                  "change to or from summer time): choose another time."),
                code="ambiguous_timezone", params={"zone": zone_name()}) from exc


class CampaignForm(BilingualFormMixin, forms.Form):
    """A campaign's terms; its title and description in the campaign's language and,
    optionally, in the other one."""

    translated_fields = ("title", "description")

    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(label=_("Description"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 5}),
                                  help_text=_("Markdown: **bold**, lists, links."))
    place = forms.CharField(label=_("Place"), max_length=300, required=False)
    # A point for the directory's map: typed, as no geocoding service is reachable.
    latitude = forms.DecimalField(
        label=_("Latitude of the place"), required=False, min_value=-90, max_value=90,
        max_digits=9, decimal_places=6,
        help_text=_("Optional, in degrees (45.764 for Lyon): with the longitude, it puts the "
                    "action on the directory's map."))
    longitude = forms.DecimalField(
        label=_("Longitude of the place"), required=False, min_value=-180, max_value=180,
        max_digits=9, decimal_places=6, help_text=_("In degrees (4.836 for Lyon)."))
    starts_at = LocalDateTimeField(label=_("Starts"))
    ends_at = LocalDateTimeField(label=_("Ends"))
    participant_target = people_field(_("Participant target"))
    mobilisation_deadline = LocalDateTimeField(
        label=_("Mobilisation deadline"),
        help_text=_("The action takes place only if the target is reached by then."))
    visibility = forms.ChoiceField(label=_("Visibility"), choices=[
        ("internal", _("Internal to the organisation")), ("public", _("Public"))])
    party_approval_above = forms.IntegerField(
        label=_("Companions without approval"), min_value=0, max_value=20, initial=5,
        required=False,
        help_text=_("A participant bringing more people than this waits for your approval "
                    "(on the campaign page) before their group takes places."))
    # No help text under the box: the directory's page explains the choice (a text under a
    # checkbox in the shared form layout covers the box).
    listed_in_directory = forms.BooleanField(
        label=_("Show in the Fullmobs directory of actions"), required=False, initial=True)
    freed_seats = forms.ChoiceField(
        label=_("Places freed by a cancellation"), widget=forms.RadioSelect, required=False,
        choices=Campaign.FreedSeats.choices, initial=Campaign.FreedSeats.OFFER,
        help_text=_("An offered place is kept 24 hours for the next person on the waiting "
                    "list (less close to the action) and goes to the one after if they do not "
                    "confirm; within two hours of the start it is given at once."))

    def __init__(self, *args, content_language: str | None = None,
                 campaign: Campaign | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_translation_fields(
            campaign.content_language if campaign else content_language
            or organisation_language(), campaign)

    def clean(self):
        data = super().clean()
        if (data.get("latitude") is None) != (data.get("longitude") is None):
            missing = "longitude" if data.get("longitude") is None else "latitude"
            if missing not in self.errors:
                self.add_error(missing, _("Give both the latitude and the longitude, or "
                                          "neither."))
        return data

    def clean_freed_seats(self):
        # Not sent (a client that does not know the field): the campaign's choice stays.
        return (self.cleaned_data.get("freed_seats") or self.initial.get("freed_seats")
                or Campaign.FreedSeats.OFFER)

    def clean_party_approval_above(self):
        value = self.cleaned_data.get("party_approval_above")
        return 5 if value is None else value


class NewCampaignForm(CampaignForm):
    capacity = people_field(
        _("Places in the first time slot"),
        help_text=_("One slot covering the whole action; add more slots afterwards."))


class SlotForm(forms.Form):
    starts_at = LocalDateTimeField(label=_("Starts"))
    ends_at = LocalDateTimeField(label=_("Ends"))
    capacity = people_field(_("Places"))


class SlotMoveForm(forms.Form):
    starts_at = LocalDateTimeField(label=_("New start"))
    ends_at = LocalDateTimeField(label=_("New end"))


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
    # Applied only when this join creates the person or they came with their own link
    # (knowing an address proves nothing): engagement.services.profile_links.
    keep_in_profile = forms.BooleanField(
        label=_("Keep my actions in my Fullmobs profile"), required=False)

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
    delivery = forms.ChoiceField(label=_("E-mail delivery"), required=False, choices=[
        ("", _("All addresses")), ("undeliverable", _("Undeliverable"))])

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


class ImportJobConfirmForm(forms.Form):
    only_valid = forms.BooleanField(
        label=_("Import only the valid rows (the rows listed above are left out)"),
        required=False)


class TeamChallengeForm(forms.Form):
    """A team challenge's terms; ``team_challenge_create``/``_update`` check them again."""

    name = forms.CharField(label=_("Name in French"), max_length=150,
                           widget=forms.TextInput(attrs={"lang": "fr"}))
    name_en = forms.CharField(
        label=_("Name in English"), max_length=150, required=False,
        widget=forms.TextInput(attrs={"lang": "en"}),
        help_text=_("Optional: people who read English see the French name, marked as "
                    "such, until it is written."))
    description_fr = forms.CharField(label=_("Description in French"), required=False,
                                     widget=forms.Textarea(attrs={"rows": 3, "lang": "fr"}))
    description_en = forms.CharField(label=_("Description in English"), required=False,
                                     widget=forms.Textarea(attrs={"rows": 3, "lang": "en"}))
    measure = forms.ChoiceField(label=_("Teams are ranked by"), choices=[
        ("people", _("People who took part")), ("hours", _("Hours given"))],
        widget=forms.RadioSelect)
    goal = forms.IntegerField(label=_("Goal per team"), min_value=1,
                              max_value=CHALLENGE_GOAL_MAX,
                              help_text=_("A number of people or of hours, as chosen above."))
    starts_on = forms.DateField(label=_("From"), widget=DATE)
    ends_on = forms.DateField(label=_("Until"), widget=DATE,
                              help_text=_("Time slots starting between these two days "
                                          "count."))
    programme = forms.ModelChoiceField(
        label=_("Programme"), queryset=Programme.objects.order_by("name"), required=False,
        empty_label=_("Every programme"),
        help_text=_("Without campaigns chosen below, every campaign of this programme "
                    "counts (of every programme if none is chosen)."))
    campaigns: forms.ModelMultipleChoiceField = forms.ModelMultipleChoiceField(
        label=_("Campaigns"), queryset=Campaign.objects.none(), required=False,
        widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        campaigns = self.fields["campaigns"]
        assert isinstance(campaigns, forms.ModelMultipleChoiceField)
        campaigns.queryset = Campaign.objects.select_related("programme").order_by(
            "-starts_at")
        campaigns.label_from_instance = lambda c: (
            f"{c.localized('title').text} ({c.programme.localized('name').text})")
