from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billing"

    def ready(self) -> None:
        from . import tasks  # noqa: F401  (registered, so services can queue them by name)
        from .catalogue import catalogue_data
        from .codes import codes_check

        # The codes the code compares must be the catalogue's, or nothing starts.
        codes_check(catalogue_data())
