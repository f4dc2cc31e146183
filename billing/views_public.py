"""Pages of the public site that show the plans and offers: the landing page, pricing, and the
request for a demo or an offer. (Sign-up and the accessibility statement are tenants'.)"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from rest_framework.throttling import SimpleRateThrottle

from core.errors import DomainError

from . import offers
from .catalogue import free_plan, options, plans
from .forms import DemoRequestForm
from .models import OfferRequest


def pricing_context() -> dict:
    """The catalogue as the public site shows it (billing/catalogue.yaml is the one source)."""
    return {"plans": list(plans().values()), "options": list(options().values()),
            "free_plan": free_plan(), "trial_days": 30}


def landing(request):
    return render(request, "billing/landing.html", pricing_context())


def pricing(request):
    return render(request, "billing/pricing.html", pricing_context())


class DemoRequestThrottle(SimpleRateThrottle):
    """Anonymous requests per client address, counted in the shared cache (DRF reads the
    address behind the configured proxies the same way for the join API)."""

    scope = "demo_request"

    def get_rate(self) -> str:
        # Read at request time (DRF would otherwise keep the rate of the first request).
        return getattr(settings, "DEMO_REQUEST_RATE_LIMIT", "10/hour")

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


@require_http_methods(["GET", "POST"])
def demo_request(request):
    kind = request.GET.get("kind")
    initial = {"kind": kind if kind in OfferRequest.Kind.values else OfferRequest.Kind.DEMO}
    form = DemoRequestForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if not DemoRequestThrottle().allow_request(request, None):
            form.add_error(None, _("Too many requests from your connection: please try again "
                                   "in an hour, or write to us by e-mail."))
            return render(request, "billing/demo_request.html", {"form": form}, status=429)
        if form.is_valid():
            try:
                offers.offer_request_create(language=request.LANGUAGE_CODE,
                                            **form.cleaned_data)
            except DomainError as exc:
                exc.add_to_form(form)
            else:
                return redirect(reverse("demo_request_thanks") + "?kind="
                                + form.cleaned_data["kind"])
    return render(request, "billing/demo_request.html", {"form": form},
                  status=400 if form.errors else 200)


def demo_request_thanks(request) -> HttpResponse:
    """Says what happens next for what was asked: a time for a demo, or a quote."""
    return render(request, "billing/demo_thanks.html",
                  {"offer": request.GET.get("kind") == OfferRequest.Kind.OFFER})
