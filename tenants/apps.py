from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TenantsConfig(AppConfig):
    name = "tenants"
    verbose_name = _("Organisations and users")

    def ready(self):
        from . import sessions  # noqa: F401  (ends sessions on password change, deactivation)
