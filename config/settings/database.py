import os

import dj_database_url

from config.database import database_url

DATABASES = {
    "default": {
        **dj_database_url.parse(database_url(), conn_max_age=60, conn_health_checks=True),
        "ENGINE": "django_tenants.postgresql_backend",
    }
}
# A streaming replica of the primary (docs/deployment.md, "Past one machine"): figure reads
# may go there (core/replica.py); unset, every read goes to the primary.
if os.environ.get("REPLICA_DATABASE_URL"):
    DATABASES["replica"] = {
        **dj_database_url.parse(os.environ["REPLICA_DATABASE_URL"], conn_max_age=60,
                                conn_health_checks=True),
        "ENGINE": "django_tenants.postgresql_backend",
        # Tests read the test database through it rather than create a second one.
        "TEST": {"MIRROR": "default"},
    }
DATABASE_ROUTERS = ["core.replica.ReplicaRouter", "django_tenants.routers.TenantSyncRouter"]
