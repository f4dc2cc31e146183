from django import forms
from django.utils.translation import gettext_lazy as _


class ProfileAddressForm(forms.Form):
    email = forms.EmailField(label=_("Your e-mail address"), max_length=254)
