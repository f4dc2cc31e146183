"""The organiser's form naming a campaign's partner association."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .services.partners import NAME_MAX, WEBSITE_MAX


class PartnerForm(forms.Form):
    name = forms.CharField(label=_("Partner's name"), max_length=NAME_MAX)
    # Checked by the service (http and https only), which names the field in its refusal.
    website = forms.CharField(label=_("Partner's website (optional)"), max_length=WEBSITE_MAX,
                              required=False,
                              widget=forms.URLInput(attrs={"placeholder": "https://"}))
    logo = forms.FileField(
        label=_("Partner's logo (optional)"), required=False,
        help_text=_("PNG, JPEG or WebP, 1 MB at most."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg,image/webp"}))
    remove_logo = forms.BooleanField(label=_("Remove the logo"), required=False)
