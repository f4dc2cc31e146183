"""Compile locale/*/LC_MESSAGES/django.po into the .mo next to it, with polib.

The .po is where the French texts live (edit it by hand, in Poedit or in Weblate). The
compiled .mo is committed, so a fresh machine needs no GNU gettext to run the project;
`make messages` runs this after `makemessages` has merged the new texts into the .po.
Texts still without a translation, or marked fuzzy, are listed and make it exit 1.
"""

import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent


def untranslated(po: polib.POFile) -> list[str]:
    """Texts the code uses that have no translation yet (empty, or a fuzzy guess of msgmerge)."""
    return [entry.msgid for entry in po if not entry.obsolete and not entry.translated()]


def main() -> int:
    missing = []
    for po_path in sorted((ROOT / "locale").glob("*/LC_MESSAGES/django.po")):
        po = polib.pofile(str(po_path))
        # Fuzzy and empty entries are left out of the .mo: the English text shows instead.
        po.save_as_mofile(str(po_path.with_suffix(".mo")))
        print(f"{po_path.relative_to(ROOT)}: {len(po.translated_entries())} texts compiled.")
        missing += untranslated(po)
    if missing:
        print("Without a translation (write their msgstr in the .po, remove any fuzzy flag):",
              *missing, sep="\n  ")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
