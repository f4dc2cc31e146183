"""A member's role in an organisation, in the order of what it allows."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")
    MANAGER = "manager", _("Manager")
    VIEWER = "viewer", _("Viewer")


RANK: dict[str, int] = {Role.VIEWER: 1, Role.MANAGER: 2, Role.OWNER: 3}


def at_least(role: str, required: str) -> bool:
    """Whether ``role`` allows everything ``required`` allows."""
    return RANK[role] >= RANK[required]
