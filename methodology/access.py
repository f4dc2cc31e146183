"""Who may use the consultants' console on the public site (/console/): its methodology
pages here, and the pages of other apps found there (billing's consultant time)."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import Http404


def consultant_required(view):
    """Consultants only. Anonymous visitors are asked to log in; anyone else gets 404."""
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not request.user.is_consultant:
            raise Http404
        return view(request, *args, **kwargs)
    return wrapper
