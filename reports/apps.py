from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"

    def ready(self) -> None:
        # Services and figures queue their tasks by registered name (the tasks module
        # imports them): register the tasks in every process, not only in workers, whose
        # autodiscovery is the only other thing that imports them.
        from . import tasks  # noqa: F401
