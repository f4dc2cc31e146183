from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "directory"
    verbose_name = "Directory of actions"

    def ready(self) -> None:
        # The closure of an organisation (tenants, below this app) deletes its listed
        # campaigns in the closing transaction through this registration.
        from tenants.services.closure import PUBLIC_ROWS_DELETERS

        from .services import listed_campaigns_of_organisation_delete

        if listed_campaigns_of_organisation_delete not in PUBLIC_ROWS_DELETERS:
            PUBLIC_ROWS_DELETERS.append(listed_campaigns_of_organisation_delete)
