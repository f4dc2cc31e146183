from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"

    def ready(self) -> None:
        # The report's own sections that go through the registry (reports/sections.py).
        from .partners_section import SECTION
        from .sections import register

        register(SECTION)
