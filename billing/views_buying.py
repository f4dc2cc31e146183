"""Buying the way companies and public bodies buy: the billing details invoices are made
out to, a quote to download, an order paid by bank transfer against an invoice, and the
statement of the accompaniment pack's hours."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.errors import DomainError
from core.roles import Role
from tenants.access import require_role

from . import services, stripe_api
from .catalogue import options, plans
from .codes import Option
from .entitlements import TRIAL_PLAN, entitlements_for
from .forms import BillingDetailsForm, OrderForm
from .models import BillingAccount, Quote
from .quote_pdf import quote_pdf
from .selectors import accompaniment_statement, quotes_of

DETAIL_FIELDS = ("customer_kind", "legal_name", "address_line1", "address_line2",
                 "postal_code", "city", "country", "billing_email", "vat_number", "siret",
                 "chorus_service_code")


@require_http_methods(["GET", "POST"])
def billing_details(request):
    require_role(request, Role.OWNER)
    organisation = request.tenant
    account = BillingAccount.objects.filter(organisation=organisation).first()
    initial = {name: getattr(account, name) for name in DETAIL_FIELDS} if account else {
        "customer_kind": {"local_authority": "public_body", "association": "association"}
        .get(organisation.kind, "company"),
        "legal_name": organisation.name, "country": "FR", "billing_email": request.user.email}
    form = BillingDetailsForm(request.POST or None, initial=initial,
                              language=request.LANGUAGE_CODE)
    if request.method == "POST" and form.is_valid():
        try:
            services.billing_details_update(organisation=organisation, **form.cleaned_data)
        except DomainError as exc:
            exc.add_to_form(form)
        else:
            messages.success(request, _("Billing details saved."))
            # Back to the order form when that is where the details were missing.
            return redirect("billing_order" if request.GET.get("next") == "order"
                            else "billing_home")
    return render(request, "billing/details.html", {"form": form},
                  status=400 if form.errors else 200)


def _order_initial(request) -> dict:
    rights = entitlements_for(request.tenant)
    plan = request.GET.get("plan")
    wanted = [code for code in request.GET.getlist("options") if code in options()]
    return {"plan": plan if plan in plans() else rights.plan or TRIAL_PLAN,
            "options": wanted or sorted(rights.options), "interval": "year",
            "days_until_due": 30}


@require_http_methods(["GET", "POST"])
def billing_order(request):
    """Quote, then order against an invoice (no Checkout): "quote" downloads a numbered
    PDF; "order" subscribes with invoices paid by bank transfer."""
    require_role(request, Role.OWNER)
    organisation = request.tenant
    form = OrderForm(request.POST or None, initial=_order_initial(request))
    if not stripe_api.configured():
        # Not shown then: the purchase order and payment terms go in the offer request.
        form.fields["days_until_due"].required = False
    account = BillingAccount.objects.filter(organisation=organisation).first()
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if "order" in request.POST:
                if not stripe_api.configured():
                    return _to_offer(request, data, _(
                        "Ordering online is not available yet: ask us for an offer, "
                        "prefilled with your choice below."))
                services.subscription_order_by_invoice(
                    organisation=organisation, plan=data["plan"], interval=data["interval"],
                    option_codes=data["options"], purchase_order=data["purchase_order"],
                    days_until_due=data["days_until_due"])
                messages.success(request, _(
                    "Thank you: your order is recorded. The invoice is sent to your billing "
                    "e-mail, payable by bank transfer within %(days)s days.") % {
                    "days": data["days_until_due"]})
                return redirect("billing_home")
            quote = services.quote_create(
                organisation=organisation, plan=data["plan"], interval=data["interval"],
                option_codes=data["options"], language=request.LANGUAGE_CODE,
                user=request.user)
            return redirect("billing_quote_pdf", pk=quote.pk)
        except DomainError as exc:
            if "order" in request.POST and "billing" in exc.errors and \
                    account is not None and account.details_complete:
                # Stripe refused or failed: never a dead end, the same choice as an offer.
                return _to_offer(request, data, exc.text + " " + _(
                    "You can ask us for an offer instead, prefilled below."))
            exc.add_to_form(form)
    return render(request, "billing/order.html", {
        "form": form, "account": account, "quotes": quotes_of(organisation),
        "configured": stripe_api.configured()}, status=400 if form.errors else 200)


def _to_offer(request, data: dict, message: str):
    messages.info(request, message)
    # Every choice travels: the offer form is prefilled with all of it.
    query = urlencode({"plan": data["plan"], "options": data["options"],
                       "interval": data["interval"],
                       "purchase_order": data.get("purchase_order") or "",
                       "days_until_due": data.get("days_until_due") or ""}, doseq=True)
    return redirect(f"/billing/?{query}#offer")


def billing_quote_pdf(request, pk: int):
    require_role(request, Role.OWNER)
    quote = Quote.objects.filter(pk=pk, organisation=request.tenant).first()
    if quote is None:
        raise Http404
    response = HttpResponse(quote_pdf(quote), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{quote.number}.pdf"'
    return response


def billing_accompaniment(request):
    """The accompaniment statement: hours included, logged (by whom, when, what), left."""
    require_role(request, Role.MANAGER)
    organisation = request.tenant
    rights = entitlements_for(organisation)
    return render(request, "billing/accompaniment.html", {
        "months": accompaniment_statement(organisation=organisation),
        "has_pack": Option.ACCOMPANIMENT_PACK in rights.options,
        "pack": options()[Option.ACCOMPANIMENT_PACK],
        "owner": request.access.at_least(Role.OWNER)})
