"""French texts of the participant pages (merged by fill_translations.py)."""

FR = {
}
