"""Forms of the requests for a demo or an offer (validation itself is the service's)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy

from .catalogue import options, plans
from .models import OfferRequest


class ErrorsDescribed:
    """A field with an error points at its message (``<id>_errors``), so that a screen
    reader reads the message with the field."""

    def add_error(self, field, error):
        super().add_error(field, error)
        for name in self.errors:
            if name in self.fields:
                self.fields[name].widget.attrs["aria-describedby"] = f"{self[name].auto_id}_errors"


class DemoRequestForm(ErrorsDescribed, forms.Form):
    """The public site's form: anyone may ask for a demo or an offer."""

    kind = forms.ChoiceField(label=gettext_lazy("What would you like?"),
                             choices=OfferRequest.Kind.choices, widget=forms.RadioSelect,
                             initial=OfferRequest.Kind.DEMO)
    name = forms.CharField(label=gettext_lazy("Your name"), max_length=150,
                           widget=forms.TextInput(attrs={"autocomplete": "name"}))
    organisation_name = forms.CharField(
        label=gettext_lazy("Organisation"), max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "organization"}))
    email = forms.EmailField(label=gettext_lazy("Work e-mail"),
                             widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    message = forms.CharField(
        label=gettext_lazy("Message (optional)"), required=False, max_length=3000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("Your programme, how many people, when: whatever helps us "
                               "prepare."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Errors that name their field, the same words the service uses.
        self.fields["name"].error_messages["required"] = gettext_lazy("Enter your name.")
        self.fields["organisation_name"].error_messages["required"] = gettext_lazy(
            "Enter the name of your organisation.")
        self.fields["email"].error_messages.update({
            "required": gettext_lazy("Enter a valid e-mail address, such as name@example.org."),
            "invalid": gettext_lazy("Enter a valid e-mail address, such as name@example.org.")})
        self.fields["kind"].error_messages.update({
            "required": gettext_lazy("Choose a demo or an offer."),
            "invalid_choice": gettext_lazy("Choose a demo or an offer.")})


class OfferForm(ErrorsDescribed, forms.Form):
    """An owner asks for an offer from the billing page (payment online unavailable)."""

    plan = forms.ChoiceField(label=gettext_lazy("Plan"))
    options = forms.MultipleChoiceField(label=gettext_lazy("Options"), required=False,
                                        widget=forms.CheckboxSelectMultiple)
    email = forms.EmailField(label=gettext_lazy("Where should we reply?"))
    message = forms.CharField(label=gettext_lazy("Message (optional)"), required=False,
                              max_length=3000, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["plan"].choices = [(code, item.label) for code, item in plans().items()]
        self.fields["options"].choices = [(code, item.label)
                                          for code, item in options().items()]
        self.fields["email"].error_messages.update({
            "required": gettext_lazy("Enter a valid e-mail address, such as name@example.org."),
            "invalid": gettext_lazy("Enter a valid e-mail address, such as name@example.org.")})
