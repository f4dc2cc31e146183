"""Evidence across organisations: each organisation's counts (``contributions``, written
from its own schema), the suppressed cells published from them (``publication``), the
nightly task (``tasks``) and the client's API (``api``). The tables live in
``methodology`` (public schema)."""

# The organisation-side names other parts of the lab use (the forecasts' size band).
from .contributions import AGE_BANDS, ALL, SIZE_BANDS, UNKNOWN, size_band

__all__ = ["AGE_BANDS", "ALL", "SIZE_BANDS", "UNKNOWN", "size_band"]
