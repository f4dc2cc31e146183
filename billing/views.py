"""Billing pages (organisation owners), the Stripe webhook (public host) and the
consultants' time log (public console)."""

from __future__ import annotations

import stripe
from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import DomainError
from core.roles import Role
from core.tenancy import enqueue_on_commit
from methodology.access import consultant_required
from tenants.access import require_role
from tenants.models import ConsultantAssignment, Organisation

from . import offers, services, stripe_api
from .catalogue import INTERVALS, options, plans
from .catalogue import free_plan as free_plan_item
from .entitlements import TRIAL_PLAN, entitlements_for
from .forms import OfferForm
from .models import BillingAccount, ConsultantTime, OfferRequest
from .tasks import process_stripe_event

# Stripe's invoice statuses, as the owner reads them.
INVOICE_STATUSES = {"draft": pgettext_lazy("invoice", "Being prepared"),
                    "open": pgettext_lazy("invoice", "To be paid"),
                    "paid": pgettext_lazy("invoice", "Paid"),
                    "void": pgettext_lazy("invoice", "Cancelled"),
                    "uncollectible": pgettext_lazy("invoice", "Unpaid")}
ASK_AN_OFFER_INSTEAD = gettext_lazy(
    "You can ask us for an offer instead: your choice is already filled in below.")
PAYMENT_UNAVAILABLE = gettext_lazy(
    "Paying online is not available yet: ask us for an offer on this page and we will reply "
    "by e-mail.")


class PlanForm(forms.Form):
    plan = forms.ChoiceField(label=gettext_lazy("Plan"))
    interval = forms.ChoiceField(label=gettext_lazy("Billed"), choices=[
        ("month", gettext_lazy("Monthly")), ("year", gettext_lazy("Yearly"))])
    options = forms.MultipleChoiceField(label=gettext_lazy("Options"), required=False,
                                        widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, free_plan=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["plan"].choices = [(code, item.tr("name")) for code, item in plans().items()]
        if free_plan:
            # Associations and collectives keep their free plan and may add options alone.
            self.fields["plan"].required = False
            self.fields["plan"].choices = [
                ("", _("%(plan)s (free), options only") % {"plan": free_plan_item().label}),
                *self.fields["plan"].choices]
        self.fields["options"].choices = [(code, item.tr("name"))
                                          for code, item in options().items()]


def _wanted(request, rights) -> tuple[str, list[str]]:
    """The plan and options to start from: what the organisation has, plus the option a
    teaser's "Add it to your subscription" link named (``?option=<code>``)."""
    wanted = set(rights.options)
    if request.GET.get("option") in options():
        wanted.add(request.GET["option"])
    # What a failed payment or order was for (``?plan=&options=``), to ask for an offer.
    wanted |= {code for code in request.GET.getlist("options") if code in options()}
    plan = request.GET.get("plan")
    if rights.on_free_plan:
        return plan if plan in plans() else "", sorted(wanted)
    return plan if plan in plans() else rights.plan or TRIAL_PLAN, sorted(wanted)


def billing_home(request, offer_form=None):
    require_role(request, Role.OWNER)
    organisation = request.tenant
    rights = entitlements_for(organisation)
    subscription = getattr(organisation, "subscription", None)
    plan, wanted = _wanted(request, rights)
    form = PlanForm(free_plan=organisation.mobilises_for_free, initial={"plan": plan,
                             "interval": getattr(subscription, "interval", "month"),
                             "options": wanted})
    if offer_form is None:
        # The order page's other choices, when ordering led here (``?interval=&…``).
        carried = {name: request.GET[name] for name in
                   ("interval", "purchase_order", "days_until_due") if request.GET.get(name)}
        offer_form = OfferForm(prefix="offer", free_plan=organisation.mobilises_for_free,
                               initial={"plan": plan, "options": wanted,
                                                        "email": request.user.email, **carried})
    account = BillingAccount.objects.filter(organisation=organisation).first()
    return render(request, "billing/home.html", {
        "rights": rights, "subscription": subscription, "form": form, "account": account,
        # Public bodies order against an invoice (a quote first), not by card.
        "public_body": (account.customer_kind if account else organisation.kind) in (
            BillingAccount.CustomerKind.PUBLIC_BODY, "local_authority"),
        "plans": plans().values(), "options": options().values(),
        "configured": stripe_api.configured(), "intervals": INTERVALS,
        "offer_form": offer_form,
    }, status=400 if offer_form.errors else 200)


@require_POST
def billing_offer(request):
    """Ask Fullmobs for an offer: the way to buy when paying online is not available (and
    for anyone who prefers a quote and a bank transfer)."""
    require_role(request, Role.OWNER)
    form = OfferForm(request.POST, prefix="offer",
                     free_plan=request.tenant.mobilises_for_free)
    if form.is_valid():
        data = form.cleaned_data
        try:
            offers.offer_request_create(
                kind=OfferRequest.Kind.OFFER, name=request.user.get_full_name() or data["email"],
                organisation_name=request.tenant.name, email=data["email"],
                message="\n\n".join(part for part in (data["message"], form.terms_text())
                                      if part),
                plan=data["plan"], option_codes=data["options"],
                organisation=request.tenant, language=request.LANGUAGE_CODE)
        except DomainError as exc:
            exc.add_to_form(form)
        else:
            messages.success(request, _(
                "Thank you: your request has been sent to Fullmobs. We will reply to "
                "%(email)s within two working days with an offer.") % {"email": data["email"]})
            return redirect("billing_home")
    return billing_home(request, offer_form=form)


@require_POST
def billing_checkout(request):
    require_role(request, Role.OWNER)
    if not stripe_api.configured():
        messages.error(request, str(PAYMENT_UNAVAILABLE))
        return redirect("billing_home")
    form = PlanForm(request.POST, free_plan=request.tenant.mobilises_for_free)
    if not form.is_valid():
        messages.error(request, " ".join(e for es in form.errors.values() for e in es))
        return redirect("billing_home")
    data = form.cleaned_data
    back = request.build_absolute_uri("/billing/")
    try:
        url = services.checkout_start(organisation=request.tenant, plan=data["plan"],
                                      interval=data["interval"], option_codes=data["options"],
                                      success_url=back + "?checkout=done",
                                      cancel_url=back + "?checkout=cancelled",
                                      locale=request.LANGUAGE_CODE)
    except DomainError as exc:
        # Never a dead end: the offer form, prefilled with what they wanted.
        messages.error(request, exc.text + " " + str(ASK_AN_OFFER_INSTEAD))
        query = urlencode({"plan": data["plan"], "options": data["options"]}, doseq=True)
        return redirect(f"/billing/?{query}#offer")
    return redirect(url)


@require_POST
def billing_portal(request):
    require_role(request, Role.OWNER)
    if not stripe_api.configured():
        messages.error(request, str(PAYMENT_UNAVAILABLE))
        return redirect("billing_home")
    try:
        url = services.portal_url(organisation=request.tenant,
                                  return_url=request.build_absolute_uri("/billing/"),
                                  locale=request.LANGUAGE_CODE)
    except DomainError as exc:
        messages.error(request, exc.text)
        return redirect("billing_home")
    return redirect(url)


def billing_invoices(request):
    require_role(request, Role.OWNER)
    error = None
    rows = []
    if stripe_api.configured():
        try:
            rows = [_invoice_row(invoice)
                    for invoice in services.invoices(organisation=request.tenant)]
        except DomainError as exc:
            error = exc.errors["billing"][0]
    return render(request, "billing/invoices.html", {
        "invoices": rows, "error": error, "configured": stripe_api.configured()})


def _invoice_row(invoice) -> dict:
    from datetime import UTC, datetime

    from .money import format_money

    return {"number": invoice.get("number"), "id": invoice["id"],
            "created_at": datetime.fromtimestamp(invoice["created"], tz=UTC),
            "amount_text": format_money(invoice.get("amount_due", 0),
                                        currency=invoice.get("currency", "eur"),
                                        always_cents=True),
            "status": INVOICE_STATUSES.get(invoice.get("status") or "", invoice.get("status")),
            "hosted_invoice_url": invoice.get("hosted_invoice_url"),
            "invoice_pdf": invoice.get("invoice_pdf")}


@csrf_exempt
@require_POST
def stripe_webhook(request):
    """Signature checked before anything is stored; each event stored once by its id and
    processed by a worker (a replay is acknowledged and not processed again)."""
    try:
        record, created = services.event_record(
            payload=request.body, signature=request.headers.get("Stripe-Signature", ""))
    except (ValueError, stripe.SignatureVerificationError):
        return HttpResponseBadRequest("invalid signature")
    if created:
        enqueue_on_commit(process_stripe_event, record.event_id)
        return HttpResponse("received")
    return HttpResponse("already received")


class TimeForm(forms.Form):
    organisation = forms.ChoiceField(label=gettext_lazy("Organisation"))
    worked_on = forms.DateField(label=gettext_lazy("Date"),
                                widget=forms.DateInput(attrs={"type": "date"}))
    minutes = forms.IntegerField(label=gettext_lazy("Minutes"), min_value=1, max_value=1440)
    description = forms.CharField(label=gettext_lazy("What was done"), max_length=300)


@consultant_required
@require_http_methods(["GET", "POST"])
def consultant_time(request):
    assigned = Organisation.objects.filter(
        pk__in=ConsultantAssignment.objects.filter(consultant=request.user)
        .values("organisation")).order_by("name")
    form = TimeForm(request.POST or None, initial={"worked_on": timezone.localdate()})
    form.fields["organisation"].choices = [(o.slug, o.name) for o in assigned]
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.consultant_time_log(
                consultant=request.user,
                organisation=assigned.get(slug=data["organisation"]),
                worked_on=data["worked_on"], minutes=data["minutes"],
                description=data["description"])
        except DomainError as exc:
            exc.add_to_form(form)
        else:
            messages.success(request, _("Time logged."))
            return redirect("consultant_time")
    rows = ConsultantTime.objects.filter(consultant=request.user).select_related(
        "organisation")[:100]
    return render(request, "billing/consultant_time.html",
                  {"form": form, "rows": rows, "configured": stripe_api.configured()},
                  status=400 if form.errors else 200)


@consultant_required
@require_http_methods(["GET", "POST"])
def consultant_time_edit(request, pk):
    """Correct (or delete) one's own entry while it is not billed; billed ones are locked."""
    entry = ConsultantTime.objects.filter(pk=pk, consultant=request.user).select_related(
        "organisation").first()
    if entry is None:
        raise Http404
    assigned = Organisation.objects.filter(
        pk__in=ConsultantAssignment.objects.filter(consultant=request.user)
        .values("organisation")).order_by("name")
    form = TimeForm(request.POST or None, initial={
        "organisation": entry.organisation.slug, "worked_on": entry.worked_on,
        "minutes": entry.minutes, "description": entry.description})
    form.fields["organisation"].choices = [(o.slug, o.name) for o in assigned]
    locked = None
    if request.method == "POST" and "delete" in request.POST:
        try:
            services.consultant_time_delete(entry_id=entry.pk, consultant=request.user)
        except DomainError as exc:
            locked = exc.text
        else:
            messages.success(request, _("The entry is deleted."))
            return redirect("consultant_time")
    elif request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.consultant_time_update(
                entry_id=entry.pk, consultant=request.user,
                organisation=assigned.get(slug=data["organisation"]),
                worked_on=data["worked_on"], minutes=data["minutes"],
                description=data["description"])
        except DomainError as exc:
            if "entry" in exc.errors:
                locked = exc.text
            else:
                exc.add_to_form(form)
        else:
            messages.success(request, _("The entry is corrected."))
            return redirect("consultant_time")
    return render(request, "billing/consultant_time.html",
                  {"form": form, "entry": entry, "locked": locked},
                  status=400 if form.errors or locked else 200)


