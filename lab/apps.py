from django.apps import AppConfig


class LabConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "lab"
    verbose_name = "Lab"

    def ready(self) -> None:
        # The PDF impact report's section on experiments (reports.sections).
        from reports.sections import register

        from .experiments.report import SECTION

        register(SECTION)
