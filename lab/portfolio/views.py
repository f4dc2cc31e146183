"""The consultant's portfolio on the public site (/console/clients/): each client they
accompany with its state at a glance, those needing attention first; one click enters the
client's space (``enter_space``, which logs the visit)."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render

from .states import portfolio_states

FILTERS = ("all", "attention")


@login_required
def portfolio(request):
    # Staff who are not consultants have the admin, not a portfolio: 404 like any outsider.
    if not request.user.is_consultant:
        raise Http404
    states = portfolio_states(request.user)
    shown = request.GET.get("show")
    shown = shown if shown in FILTERS else "all"
    query = request.GET.get("q", "").strip()[:100]
    rows = [s for s in states if (shown == "all" or s.needs_attention)
            and (not query or query.casefold() in s.organisation.name.casefold())]
    return render(request, "lab/portfolio.html", {
        "rows": rows, "total": len(states), "shown": shown, "query": query,
        "attention": sum(s.needs_attention for s in states)})
