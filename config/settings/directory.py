"""The public directory of actions: its map's tiles and its page size."""

from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

from .base import PRODUCTION, env

# The map's tile server, as Leaflet writes it ({z}/{x}/{y}). Empty: the map shows its markers
# on a plain background and nothing is fetched from another host (development and tests,
# which never fetch tiles). Production defaults to OpenStreetMap's; its usage policy asks
# for the attribution below and a moderate use (set a tile provider for heavy traffic).
DIRECTORY_TILE_URL: str = env(
    "DIRECTORY_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png" if PRODUCTION else "")
DIRECTORY_TILE_ATTRIBUTION: str = env(
    "DIRECTORY_TILE_ATTRIBUTION",
    '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>')
DIRECTORY_PAGE_SIZE: int = int(env("DIRECTORY_PAGE_SIZE", "12"))


def tile_origin(url: str) -> str:
    """The scheme and host of the tile URL (what the Content-Security-Policy allows), or
    "" when no tiles are configured."""
    if not url:
        return ""
    parts = urlsplit(url.replace("{s}", "a"))
    if parts.scheme not in ("https", "http") or not parts.hostname or "{s}" in url:
        raise ImproperlyConfigured(
            "DIRECTORY_TILE_URL must be an http(s) URL on one host, without {s} sub-domains.")
    return f"{parts.scheme}://{parts.netloc}"


DIRECTORY_TILE_ORIGIN: str = tile_origin(DIRECTORY_TILE_URL)
