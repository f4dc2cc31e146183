"""Forms of the second factor, re-authentication and the organisation's two-factor rule."""

from __future__ import annotations

from django import forms
from django.contrib.auth import authenticate
from django.utils.translation import gettext_lazy as _


class TokenForm(forms.Form):
    """A six-digit code from an authenticator app, checked against the user's devices."""

    token = forms.CharField(
        label=_("Code from your authenticator app"), max_length=8, min_length=6,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric",
                                      "pattern": "[0-9 ]*", "autofocus": True}))

    def __init__(self, *args, devices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.devices = list(devices)
        self.device = None

    def clean_token(self):
        token = self.cleaned_data["token"].replace(" ", "")
        if not token.isdigit():
            raise forms.ValidationError(_("Enter the six digits your app shows."))
        for device in self.devices:
            # verify_token waits longer after each wrong code (django-otp's throttling).
            if device.verify_token(token):
                self.device = device
                return token
        raise forms.ValidationError(
            _("This code is not valid. Check the time on your phone and enter the code "
              "your app shows now."))


class ReauthenticationForm(forms.Form):
    password = forms.CharField(label=_("Your password"), strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete":
                                                                 "current-password",
                                                                 "autofocus": True}))

    def __init__(self, *args, request, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request

    def clean_password(self):
        password = self.cleaned_data["password"]
        # Through authenticate(), so that wrong passwords count toward the lockout.
        user = authenticate(self.request, username=self.request.user.email, password=password)
        if user is None or user.pk != self.request.user.pk:
            raise forms.ValidationError(_("This password is not right."))
        return password


class OrganisationTwoFactorForm(forms.Form):
    require_two_factor = forms.BooleanField(
        label=_("Require two-factor authentication for this organisation"), required=False,
        help_text=_("Every member then needs an authenticator app (a six-digit code at "
                    "login). Members without one are asked to set it up before entering."))
