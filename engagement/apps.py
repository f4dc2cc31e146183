from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EngagementConfig(AppConfig):
    name = "engagement"
    verbose_name = _("Engagement")

    def ready(self) -> None:
        from . import tasks  # noqa: F401  (registered, so services can queue them by name)
        from . import webhooks  # noqa: F401  (connects the e-mail provider's tracking signal)
