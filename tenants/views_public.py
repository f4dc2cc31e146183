"""The accessibility statement on the public site. (Sign-up is views_signup.py; the pages
showing plans and offers are billing's, billing/views_public.py.)"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render

# Where people who meet an accessibility barrier write to (the statement gives it).
ACCESSIBILITY_CONTACT = getattr(settings, "ACCESSIBILITY_CONTACT_EMAIL",
                                "accessibilite@fullmobs.example")


def accessibility(request) -> HttpResponse:
    return render(request, "tenants/accessibility.html",
                  {"contact_email": ACCESSIBILITY_CONTACT})
