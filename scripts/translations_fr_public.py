"""French texts of the public pages (merged by fill_translations.py)."""

FR = {
}
