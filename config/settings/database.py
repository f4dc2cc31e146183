import dj_database_url

from config.database import database_url

DATABASES = {
    "default": {
        **dj_database_url.parse(database_url(), conn_max_age=60, conn_health_checks=True),
        "ENGINE": "django_tenants.postgresql_backend",
    }
}
DATABASE_ROUTERS = ["django_tenants.routers.TenantSyncRouter"]
