"""French texts of the journeys pages (merged by fill_translations.py)."""

FR = {
}
