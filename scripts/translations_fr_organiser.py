"""French texts of the organiser pages (merged by fill_translations.py)."""

FR = {
}
