"""Pages every visitor may read: the accessibility statement; an organisation's uploaded files
(its logo) on its own host. (The pages showing plans and offers are billing's.)"""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.static import serve

# Where people who meet an accessibility barrier write to (the statement gives it).
ACCESSIBILITY_CONTACT = getattr(settings, "ACCESSIBILITY_CONTACT_EMAIL",
                                "accessibilite@fullmobs.example")


def accessibility(request) -> HttpResponse:
    return render(request, "tenants/accessibility.html",
                  {"contact_email": ACCESSIBILITY_CONTACT})


def tenant_media(request, schema_name, path):
    """Uploaded files of the current organisation only; another schema's files are 404."""
    if schema_name != request.tenant.schema_name:
        raise Http404
    return serve(request, path, document_root=settings.MEDIA_ROOT / schema_name)
