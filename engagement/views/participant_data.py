"""A participant's rights over their data, through their signed link: download everything
held about them (JSON, or a zip of CSV files), and erase it, after a confirmation page that
says what stays (anonymous facts). After erasure, their old links show that the data was
erased (a 404, with no personal data)."""

from __future__ import annotations

import json

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.views.decorators.http import require_GET, require_http_methods

from tenants import throttle

from .. import links
from ..models import PrivacyLog
from ..services.privacy import participant_erase, participant_export, participant_export_csv
from .visitors import SESSION_KEY, participant_from_link

THROTTLE_SCOPE = "participant_export"


def erased_page(request, status: int = 404):
    return render(request, "engagement/participant_erased.html", status=status)


def erased_or_none(request, token: str):
    """The "data erased" page (404) when the token is a genuine one of an erased person."""
    return erased_page(request) if links.token_of_erased(token) else None


def _download(content: bytes, content_type: str, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response


def export_response(participant, *, kind: str, actor: str,
                    in_language: str | None = None) -> HttpResponse:
    """The download of a person's data, JSON or a zip of CSV files (shared with the
    organisers' pages, which give it in the person's own language)."""
    stamp = timezone.localdate().isoformat()
    if kind == "csv":
        return _download(participant_export_csv(participant=participant, actor=actor,
                                                in_language=in_language),
                         "application/zip", f"data-{participant.pk}-{stamp}.zip")
    body = json.dumps(participant_export(participant=participant, actor=actor,
                                         in_language=in_language),
                      ensure_ascii=False, indent=2).encode()
    return _download(body, "application/json; charset=utf-8",
                     f"data-{participant.pk}-{stamp}.json")


@require_GET
def participant_data_download(request, token, kind):
    if kind not in ("json", "csv"):
        raise Http404
    if (erased := erased_or_none(request, token)) is not None:
        return erased
    participant = participant_from_link(request, token)
    try:
        throttle.check(request, THROTTLE_SCOPE, subject=participant)
    except throttle.RateLimited as exc:
        return HttpResponse(exc.message, status=throttle.STATUS,
                            content_type="text/plain; charset=utf-8")
    # In the language of the page the person downloads it from.
    return export_response(participant, kind=kind, actor=PrivacyLog.Actor.PERSON,
                           in_language=translation.get_language())


@require_http_methods(["GET", "POST"])
def participant_data_erase(request, token):
    """Asks first (what goes, what stays); the POST erases and shows a page that names
    nobody."""
    if (erased := erased_or_none(request, token)) is not None:
        return erased
    participant = participant_from_link(request, token)
    if request.method == "GET":
        return render(request, "engagement/participant_erase.html",
                      {"participant": participant, "token": token})
    participant_erase(participant=participant, actor=PrivacyLog.Actor.PERSON)
    request.session.pop(SESSION_KEY, None)
    return render(request, "engagement/participant_erased.html", {"just_erased": True})
