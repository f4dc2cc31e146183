from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EngagementConfig(AppConfig):
    name = "engagement"
    verbose_name = _("Engagement")

    def ready(self) -> None:
        # Tasks registered, so services can queue them by name; the e-mail provider's
        # tracking signal connected.
        from . import tasks, webhooks  # noqa: F401
