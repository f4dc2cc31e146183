from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Programme

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


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
    participant_target = forms.IntegerField(label=_("Participant target"), min_value=1)
