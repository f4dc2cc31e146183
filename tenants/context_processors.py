from django.conf import settings
from django.db import connection


def organisation(request):
    tenant = getattr(request, "tenant", None)
    on_tenant = tenant is not None and connection.schema_name != settings.PUBLIC_SCHEMA_NAME
    return {
        "organisation": tenant if on_tenant else None,
        "access": getattr(request, "access", None),
        "public_site_url": _public_site_url(),
    }


def _public_site_url() -> str:
    port = f":{settings.SITE_PORT}" if settings.SITE_PORT else ""
    return f"{settings.SITE_SCHEME}://{settings.BASE_DOMAIN}{port}/"
