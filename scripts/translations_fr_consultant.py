"""French texts of the consultant pages (merged by fill_translations.py)."""

FR = {
}
