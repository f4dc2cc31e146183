"""The organisers' teams pages: the leaderboard, team challenges (list, new, edit,
close) and a challenge's standings. Members read; managers and owners change."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import DomainError
from core.i18n import in_language
from core.roles import Role
from tenants.access import require_role

from ..forms import TeamChallengeForm
from ..models import TeamChallenge
from ..services.challenges import (
    team_challenge_close,
    team_challenge_create,
    team_challenge_update,
)
from ..standings import (
    TEAM_MIN_PEOPLE,
    challenge_campaigns_counted,
    challenge_standings,
)
from ..standings import team_leaderboard as leaderboard


def team_leaderboard(request):
    """Teams by hours given and people who took part, and the team challenges; the
    leaderboard refreshes itself (HTMX)."""
    context = {"standings": leaderboard(), "updated": timezone.now(),
               "min_people": TEAM_MIN_PEOPLE}
    if request.htmx:
        return render(request, "engagement/_leaderboard.html", context)
    today = timezone.localdate()
    challenges = list(TeamChallenge.objects.select_related("programme"))
    context["current"] = [c for c in challenges if not c.is_closed and c.ends_on >= today]
    context["past"] = [c for c in challenges if c.is_closed or c.ends_on < today]
    return render(request, "engagement/teams.html", context)


def challenge_or_404(pk) -> TeamChallenge:
    return get_object_or_404(TeamChallenge.objects.select_related("programme"), pk=pk)


def challenge_detail(request, pk):
    challenge = challenge_or_404(pk)
    return render(request, "engagement/challenge_detail.html", {
        "challenge": challenge, "standings": challenge_standings(challenge),
        "description": in_language({"fr": challenge.description_fr,
                                    "en": challenge.description_en}),
        "campaigns": challenge_campaigns_counted(challenge).select_related("programme")
                     .order_by("starts_at", "pk"),
        "chosen": challenge.campaigns.exists(), "min_people": TEAM_MIN_PEOPLE,
        "updated": timezone.now()})


@require_http_methods(["GET", "POST"])
def challenge_new(request):
    require_role(request, Role.MANAGER)
    today = timezone.localdate()
    form = TeamChallengeForm(request.POST or None, initial={
        "measure": TeamChallenge.Measure.PEOPLE, "starts_on": today})
    if request.method == "POST" and form.is_valid():
        try:
            challenge = team_challenge_create(**form.cleaned_data)
        except DomainError as exc:
            exc.add_to_form(form)
        else:
            messages.success(request, _("Challenge created: the teams' standings are below."))
            return redirect("challenge_detail", pk=challenge.pk)
    return render(request, "engagement/challenge_form.html", {"form": form},
                  status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
def challenge_edit(request, pk):
    require_role(request, Role.MANAGER)
    challenge = challenge_or_404(pk)
    if challenge.is_closed:
        messages.error(request, _("This challenge is closed and can no longer be changed."))
        return redirect("challenge_detail", pk=challenge.pk)
    form = TeamChallengeForm(request.POST or None, initial={
        "name": challenge.name, "name_en": challenge.name_en,
        "description_fr": challenge.description_fr,
        "description_en": challenge.description_en, "measure": challenge.measure,
        "goal": challenge.goal, "starts_on": challenge.starts_on,
        "ends_on": challenge.ends_on, "programme": challenge.programme,
        "campaigns": list(challenge.campaigns.all())})
    if request.method == "POST" and form.is_valid():
        try:
            team_challenge_update(challenge=challenge, **form.cleaned_data)
        except DomainError as exc:
            exc.add_to_form(form)
        else:
            messages.success(request, _("Challenge saved."))
            return redirect("challenge_detail", pk=challenge.pk)
    return render(request, "engagement/challenge_form.html",
                  {"form": form, "challenge": challenge},
                  status=400 if form.errors else 200)


@require_POST
def challenge_close(request, pk):
    require_role(request, Role.MANAGER)
    challenge = team_challenge_close(challenge=challenge_or_404(pk))
    messages.success(request, _("Challenge closed: its standings stay here."))
    return redirect("challenge_detail", pk=challenge.pk)
