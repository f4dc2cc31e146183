"""Forms of the requests for a demo or an offer (validation itself is the service's)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy

from .catalogue import free_plan as catalogue_free_plan
from .catalogue import options, plans
from .models import BillingAccount, OfferRequest


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
    interval = forms.ChoiceField(label=gettext_lazy("Billed"), required=False, choices=[
        ("year", gettext_lazy("Yearly")), ("month", gettext_lazy("Monthly"))])
    purchase_order = forms.CharField(
        label=gettext_lazy("Purchase-order number (optional)"), max_length=100, required=False,
        help_text=gettext_lazy("Printed on every invoice."))
    days_until_due = forms.TypedChoiceField(label=gettext_lazy("Payment terms"), coerce=int,
                                            required=False, empty_value=None)
    email = forms.EmailField(label=gettext_lazy("Where should we reply?"))
    message = forms.CharField(label=gettext_lazy("Message (optional)"), required=False,
                              max_length=3000, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, free_plan=False, **kwargs):
        from .services.ordering import PAYMENT_TERMS
        super().__init__(*args, **kwargs)
        self.fields["plan"].choices = [(code, item.label) for code, item in plans().items()]
        if free_plan:
            # Associations and collectives may ask for options alone, on their free plan.
            self.fields["plan"].required = False
            self.fields["plan"].choices = [
                ("", gettext_lazy("%(plan)s (free), options only") % {
                    "plan": catalogue_free_plan().label}), *self.fields["plan"].choices]
        self.fields["options"].choices = [(code, item.label)
                                          for code, item in options().items()]
        self.fields["days_until_due"].choices = [("", gettext_lazy("No preference"))] + [
            (days, gettext_lazy("%(days)s days") % {"days": days}) for days in PAYMENT_TERMS]
        self.fields["interval"].choices = [("", gettext_lazy("No preference"))] + list(
            self.fields["interval"].choices)
        self.fields["email"].error_messages.update({
            "required": gettext_lazy("Enter a valid e-mail address, such as name@example.org."),
            "invalid": gettext_lazy("Enter a valid e-mail address, such as name@example.org.")})

    def terms_text(self) -> str:
        """The billing choices beyond plan and options, as lines for the request's message
        (what Fullmobs staff read to prepare the offer)."""
        data, lines = self.cleaned_data, []
        if data.get("interval"):
            billed = {"year": gettext_lazy("Yearly"), "month": gettext_lazy("Monthly")}
            lines.append(f"{self.fields['interval'].label}: {billed[data['interval']]}")
        if data.get("purchase_order"):
            lines.append(str(gettext_lazy("Purchase-order number: %(number)s")
                             % {"number": data["purchase_order"]}))
        if data.get("days_until_due"):
            lines.append(f"{self.fields['days_until_due'].label}: "
                         + str(gettext_lazy("%(days)s days") % {"days": data["days_until_due"]}))
        return "\n".join(lines)


def country_choices(language: str) -> list[tuple[str, str]]:
    """EU member states and France's overseas departments first (billing.vat has rules
    for them), then the others, named in ``language``."""
    from babel import Locale

    from .vat import EU_COUNTRIES, FRENCH_DOM
    names = Locale.parse(language if language in ("fr", "en") else "en").territories
    eu = sorted(((code, names.get(code, code)) for code in EU_COUNTRIES | FRENCH_DOM),
                key=lambda c: c[1])
    others = sorted(((code, name) for code, name in names.items()
                     if len(code) == 2 and code.isalpha() and code not in EU_COUNTRIES
                     and code not in FRENCH_DOM
                     and code not in {"ZZ", "EU", "EZ", "UN", "QO", "XA", "XB", "XK"}),
                    key=lambda c: c[1])
    return eu + others


class BillingDetailsForm(ErrorsDescribed, forms.Form):
    """Who invoices and quotes are made out to (rules: billing_details_update)."""

    customer_kind = forms.ChoiceField(label=gettext_lazy("You are"),
                                      choices=BillingAccount.CustomerKind.choices,
                                      widget=forms.RadioSelect)
    legal_name = forms.CharField(label=gettext_lazy("Legal name"), max_length=200,
                                 widget=forms.TextInput(attrs={"autocomplete": "organization"}))
    address_line1 = forms.CharField(
        label=gettext_lazy("Address"), max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "address-line1"}))
    address_line2 = forms.CharField(
        label=gettext_lazy("Address (continued, optional)"), max_length=200, required=False,
        widget=forms.TextInput(attrs={"autocomplete": "address-line2"}))
    postal_code = forms.CharField(label=gettext_lazy("Postcode"), max_length=20,
                                  widget=forms.TextInput(attrs={"autocomplete": "postal-code"}))
    city = forms.CharField(label=gettext_lazy("City"), max_length=100,
                           widget=forms.TextInput(attrs={"autocomplete": "address-level2"}))
    country = forms.ChoiceField(label=gettext_lazy("Country"))
    billing_email = forms.EmailField(label=gettext_lazy("Billing e-mail"),
                                     widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    vat_number = forms.CharField(
        label=gettext_lazy("EU VAT number (optional)"), max_length=30, required=False,
        help_text=gettext_lazy("For a business in another EU country, invoices carry no "
                               "French VAT (reverse charge)."))
    siret = forms.CharField(label=gettext_lazy("SIRET (optional)"), max_length=20,
                            required=False,
                            help_text=gettext_lazy("French public bodies: printed on invoices "
                                                   "for Chorus Pro."))
    chorus_service_code = forms.CharField(
        label=gettext_lazy("Chorus Pro service code (optional)"), max_length=100,
        required=False)

    def __init__(self, *args, language: str = "en", **kwargs):
        super().__init__(*args, **kwargs)
        country = self.fields["country"]
        assert isinstance(country, forms.ChoiceField)
        country.choices = country_choices(language)
        for name, message in (("legal_name", gettext_lazy("Enter the legal name invoices are "
                                                          "made out to.")),
                              ("address_line1", gettext_lazy("Enter the street address.")),
                              ("postal_code", gettext_lazy("Enter the postcode.")),
                              ("city", gettext_lazy("Enter the city."))):
            self.fields[name].error_messages["required"] = message
        self.fields["billing_email"].error_messages.update({
            "required": gettext_lazy("Enter a valid e-mail address."),
            "invalid": gettext_lazy("Enter a valid e-mail address.")})


class OrderForm(ErrorsDescribed, forms.Form):
    """A plan and options to quote, or to order against an invoice."""

    plan = forms.ChoiceField(label=gettext_lazy("Plan"))
    interval = forms.ChoiceField(label=gettext_lazy("Billed"), choices=[
        ("year", gettext_lazy("Yearly")), ("month", gettext_lazy("Monthly"))])
    options = forms.MultipleChoiceField(label=gettext_lazy("Options"), required=False,
                                        widget=forms.CheckboxSelectMultiple)
    purchase_order = forms.CharField(
        label=gettext_lazy("Purchase-order number (optional)"), max_length=100, required=False,
        help_text=gettext_lazy("Printed on every invoice."))
    days_until_due = forms.TypedChoiceField(label=gettext_lazy("Payment terms"), coerce=int,
                                            initial=30)

    def __init__(self, *args, free_plan=False, **kwargs):
        from .services.ordering import PAYMENT_TERMS
        super().__init__(*args, **kwargs)
        self.fields["plan"].choices = [(code, item.label) for code, item in plans().items()]
        if free_plan:
            # Associations and collectives may ask for options alone, on their free plan.
            self.fields["plan"].required = False
            self.fields["plan"].choices = [
                ("", gettext_lazy("%(plan)s (free), options only") % {
                    "plan": catalogue_free_plan().label}), *self.fields["plan"].choices]
        self.fields["options"].choices = [(code, item.label)
                                          for code, item in options().items()]
        self.fields["days_until_due"].choices = [
            (days, gettext_lazy("%(days)s days") % {"days": days}) for days in PAYMENT_TERMS]
