"""An organisation's uploaded files (its logo), on its own host, to those who may enter it."""

from django.conf import settings
from django.http import Http404
from django.views.static import serve

from .services.closure import ARCHIVE_FOLDER


def tenant_media(request, schema_name, path):
    """Uploaded files of the current organisation only; another schema's files are 404."""
    if schema_name != request.tenant.schema_name:
        raise Http404
    if path.split("/", 1)[0] == ARCHIVE_FOLDER:  # the closure export: owners, on its page
        raise Http404
    return serve(request, path, document_root=settings.MEDIA_ROOT / schema_name)
