"""Merge French texts from scripts/translations_fr.py into the .po file and compile it.

`make messages` extracts new texts; this fills those we have translated, lists the rest,
and writes the .mo next to it (so the running project needs no gettext tools).
"""

import importlib
import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
# One module of French texts per area (translations_fr.py, translations_fr_<area>.py), merged
# in name order.
FR: dict = {}
for module_path in sorted((ROOT / "scripts").glob("translations_fr*.py")):
    FR.update(importlib.import_module(module_path.stem).FR)

po_path = ROOT / "locale" / "fr" / "LC_MESSAGES" / "django.po"
po = polib.pofile(str(po_path))
missing = []
for entry in po:
    if entry.msgid in FR:
        french = FR[entry.msgid]
        if entry.msgid_plural:
            # Plural texts are given as (singular, plural).
            singular, plural = french if isinstance(french, tuple) else (french, french)
            entry.msgstr_plural = {0: singular, 1: plural}
        else:
            entry.msgstr = french
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
    elif (not entry.msgstr and not any((entry.msgstr_plural or {}).values())) \
            or "fuzzy" in entry.flags:
        # msgmerge's fuzzy guesses are usually wrong: they need a real translation.
        missing.append(entry.msgid)
po.metadata["Language"] = "fr"
po.metadata["Content-Type"] = "text/plain; charset=UTF-8"
po.metadata["Plural-Forms"] = "nplurals=2; plural=(n > 1);"
po.save(str(po_path))
po.save_as_mofile(str(po_path.with_suffix(".mo")))
if missing:
    print("Untranslated:", *missing, sep="\n  ")
    sys.exit(1)
print(f"{len(po)} French texts compiled.")
