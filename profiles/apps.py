from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProfilesConfig(AppConfig):
    name = "profiles"
    verbose_name = _("Fullmobs profiles")

    def ready(self) -> None:
        # The closure of an organisation (tenants, below this app) deletes the profile
        # links to its participants in the closing transaction: its row stays (CLOSED), so
        # the foreign key's CASCADE never fires.
        from tenants.services.closure import CLOSED_ROWS_DELETERS

        from .services import profile_links_of_organisation_delete

        if profile_links_of_organisation_delete not in CLOSED_ROWS_DELETERS:
            CLOSED_ROWS_DELETERS.append(profile_links_of_organisation_delete)
