"""Feature gates for pages and the API: what an option would unlock, not a bare 403."""

from __future__ import annotations

from functools import wraps

from django.shortcuts import render
from rest_framework.exceptions import APIException
from rest_framework.permissions import BasePermission

from .catalogue import options
from .codes import Option
from .entitlements import entitlements_for


class OptionRequired(APIException):
    status_code = 403
    default_code = "option_required"


def requires_feature(feature: Option):
    """A view decorator: without the option, the page explains what it would unlock."""
    feature = Option(feature)
    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not entitlements_for(request.tenant).allows(feature):
                return render(request, "billing/locked.html",
                              {"option": options()[feature]}, status=403)
            return view(request, *args, **kwargs)
        return wrapper
    return decorator


def HasFeature(feature: Option):  # noqa: N802 - used like a permission class
    """A DRF permission class for ``permission_classes``: 403 naming the option."""
    feature = Option(feature)
    class Permission(BasePermission):
        def has_permission(self, request, view) -> bool:
            if entitlements_for(request.tenant).allows(feature):
                return True
            item = options()[feature]
            raise OptionRequired({"detail": f"This needs the “{item.name['en']}” option: "
                                            f"{item.description['en']}"})
    Permission.__name__ = f"Has_{feature.value}"
    return Permission
