"""The directory of actions on the public site: /actions/ (search, map, cards, track
record), its feeds for the area searched (RSS and iCalendar), and the track record's API."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.feedgenerator import Rss201rev2Feed
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET
from icalendar import Calendar, Event

from methodology.models import Theme

from .forms import DirectorySearchForm
from .models import ListedCampaign
from .selectors import MIN_ORGANISATIONS, DirectorySearch, directory_search, track_record

MAX_MARKERS = 500
MAX_FEED_ITEMS = 100
FEED_LANGUAGES = ("en", "fr")


def _form(request: HttpRequest) -> DirectorySearchForm:
    return DirectorySearchForm(request.GET or None)


def _query(form: DirectorySearchForm, **extra: str) -> str:
    """The search's own parameters (no page), for the feeds' and the pages' links."""
    given = {name: request_value
             for name in ("place", "near", "km", "from", "to", "theme", "when")
             if (request_value := (form.data.get(name) or "").strip())}
    return urlencode({**given, **extra})


@require_GET
def actions(request: HttpRequest) -> HttpResponse:
    form = _form(request)
    context: dict[str, Any] = {"form": form, "record": track_record(),
                               "minimum_organisations": MIN_ORGANISATIONS,
                               "tile_url": settings.DIRECTORY_TILE_URL,
                               "tile_attribution": settings.DIRECTORY_TILE_ATTRIBUTION}
    if form.is_bound and not form.is_valid():
        return render(request, "directory/actions.html", context, status=400)
    search = form.search() if form.is_bound else DirectorySearch()
    rows = directory_search(search)
    paginator = Paginator(rows, settings.DIRECTORY_PAGE_SIZE)
    number = (form.cleaned_data.get("page") if form.is_bound else None) or 1
    if number > max(paginator.num_pages, 1):
        form.add_error("page", ngettext(
            "There is only %(n)s page of results.", "There are only %(n)s pages of results.",
            paginator.num_pages) % {"n": paginator.num_pages})
        return render(request, "directory/actions.html", context, status=400)
    page = paginator.page(number)
    response = render(request, "directory/actions.html", _results_context(
        context, form, search, rows, paginator, page))
    tiles = urlsplit(settings.DIRECTORY_TILE_URL)
    if tiles.scheme and tiles.netloc:
        # The map's tiles, from this page only (the site's policy allows no other host).
        response._csp_update = {"img-src": [f"{tiles.scheme}://{tiles.netloc}"]}  # type: ignore[attr-defined]
    return response


def _results_context(context: dict[str, Any], form: DirectorySearchForm,
                     search: DirectorySearch, rows: Any, paginator: Paginator,
                     page: Any) -> dict[str, Any]:
    lang = translation.get_language() or "en"
    language = "fr" if lang.startswith("fr") else "en"
    markers = [{"lat": float(row.latitude), "lon": float(row.longitude),
                "title": row.title(language), "url": row.public_url, "place": row.place}
               for row in rows.exclude(latitude__isnull=True)[:MAX_MARKERS]
               if row.latitude is not None and row.longitude is not None]
    query = _query(form)
    context.update({
        "page": page, "paginator": paginator, "language": language, "query": query,
        "searched": bool(query), "markers": markers, "now": timezone.now(),
        "rss_url": f"{reverse('directory_rss')}?{_query(form, lang=language)}",
        "ics_url": f"{reverse('directory_ics')}?{_query(form, lang=language)}",
        "theme_labels": dict(Theme.choices), "center": search.near,
    })
    return context


def _feed_rows(request: HttpRequest) -> tuple[list[ListedCampaign], str] | HttpResponse:
    """The rows of a feed and its language, or a 400 naming the wrong parameters."""
    form = _form(request)
    lang = request.GET.get("lang", "en")
    errors = {} if form.is_valid() or not form.is_bound else form.parameter_errors()
    if lang not in FEED_LANGUAGES:
        errors["lang"] = [_("Choose one of: %(choices)s.") % {"choices": "en, fr"}]
    if errors:
        return JsonResponse({"errors": errors}, status=400)
    search = form.search() if form.is_bound else DirectorySearch()
    return list(directory_search(search)[:MAX_FEED_ITEMS]), lang


@require_GET
def actions_rss(request: HttpRequest) -> HttpResponse:
    answer = _feed_rows(request)
    if isinstance(answer, HttpResponse):
        return answer
    rows, lang = answer
    with translation.override(lang):
        site = request.build_absolute_uri(reverse("directory"))
        feed = Rss201rev2Feed(
            title=_("Fullmobs actions"), link=site, language=lang,
            description=_("Short collective actions open to everyone, as their organisers "
                          "list them in the Fullmobs directory."),
            feed_url=request.build_absolute_uri())
        for row in rows:
            local = timezone.localtime(row.starts_at, _zone(row.time_zone))
            feed.add_item(
                title=row.title(lang), link=row.public_url, unique_id=row.public_url,
                pubdate=row.updated_at,
                description=_("%(organiser)s · %(place)s · %(date)s · %(mobilised)s of "
                              "%(target)s people") % {
                    "organiser": row.organiser, "place": row.place or "—",
                    "date": _date(local), "mobilised": row.mobilised,
                    "target": row.participant_target})
        body = feed.writeString("utf-8")
    return HttpResponse(body, content_type="application/rss+xml; charset=utf-8")


@require_GET
def actions_ics(request: HttpRequest) -> HttpResponse:
    answer = _feed_rows(request)
    if isinstance(answer, HttpResponse):
        return answer
    rows, lang = answer
    calendar = Calendar()
    calendar.add("prodid", "-//Fullmobs//Directory of actions//EN")
    calendar.add("version", "2.0")
    with translation.override(lang):
        calendar.add("x-wr-calname", _("Fullmobs actions"))
        for row in rows:
            event = Event()
            event.add("uid", f"listed-{row.organisation_id}-{row.campaign_id}@fullmobs")
            event.add("summary", row.title(lang))
            event.add("dtstart", row.starts_at)
            event.add("dtend", row.ends_at)
            event.add("dtstamp", row.updated_at)
            event.add("url", row.public_url)
            if row.place:
                event.add("location", row.place)
            if row.latitude is not None and row.longitude is not None:
                event.add("geo", (float(row.latitude), float(row.longitude)))
            event.add("description", _("Organised by %(organiser)s. Join before %(date)s: "
                                       "%(url)s") % {
                "organiser": row.organiser, "url": row.public_url,
                "date": _date(timezone.localtime(row.mobilisation_deadline,
                                                 _zone(row.time_zone)))})
            calendar.add_component(event)
    response = HttpResponse(calendar.to_ical(), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="fullmobs-actions.ics"'
    return response


@require_GET
def track_record_api(request: HttpRequest) -> JsonResponse:
    """The same figures as the pages: rates as fractions, counts as numbers, the theme's
    code with its label in the language asked (Accept-Language)."""
    record = track_record().as_json()
    labels = dict(Theme.choices)
    for cell in record["by_theme"]:  # type: ignore[attr-defined]
        cell["theme_label"] = str(labels.get(cell["theme"], cell["theme"]))
    return JsonResponse(record, json_dumps_params={"ensure_ascii": False})


def _zone(name: str) -> Any:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return timezone.get_default_timezone()


def _date(moment: Any) -> str:
    return date_format(moment, "DATETIME_FORMAT")

