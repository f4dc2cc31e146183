"""One stored image served at a public address (a logo that e-mails and public pages show
to readers without a session), never the members-only media route."""

from __future__ import annotations

from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404

# The addresses carry the file's version (?v=), so a new image is a new address.
IMAGE_CACHE_SECONDS = 24 * 3600


def public_image_response(image: FieldFile | None) -> FileResponse:
    """The file, cacheable by anyone for a day and never sniffed as another type; 404 when
    there is none or it is missing from storage."""
    if not image:
        raise Http404
    try:
        opened = image.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(opened)
    response["Cache-Control"] = f"public, max-age={IMAGE_CACHE_SECONDS}"
    response["X-Content-Type-Options"] = "nosniff"
    return response
