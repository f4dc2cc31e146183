"""The French catalogue: locale/fr/LC_MESSAGES/django.po is the one place French texts live.

Every text the code uses has its French there (no empty msgstr, no fuzzy guess left by
msgmerge), with the same placeholders on both sides, and the committed .mo is that .po
compiled (`make messages` compiles it; the running project reads only the .mo).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import polib
import pytest
from django.core.management import call_command
from django.test import override_settings

ROOT = Path(__file__).resolve().parent.parent
PO_PATH = ROOT / "locale" / "fr" / "LC_MESSAGES" / "django.po"
MO_PATH = PO_PATH.with_suffix(".mo")

# Python %-format conversions: %(name)s, %s, %d, %.1f… (%% is a literal percent sign).
PERCENT = re.compile(r"%(?:\([^)]*\))?[#0 +-]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa%]")
BRACES = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}")


def placeholders(text: str) -> list[str]:
    return sorted([p for p in PERCENT.findall(text) if p != "%%"] + BRACES.findall(text))


def live_entries(po: polib.POFile) -> list[polib.POEntry]:
    return [entry for entry in po if not entry.obsolete]


def pairs(entry: polib.POEntry) -> list[tuple[str, str]]:
    """(English, French) for each form of the entry."""
    if entry.msgid_plural:
        forms = entry.msgstr_plural
        return [(entry.msgid, forms.get(0, "")), (entry.msgid_plural, forms.get(1, ""))]
    return [(entry.msgid, entry.msgstr)]


def label(entry: polib.POEntry) -> str:
    return f"{entry.msgctxt}|{entry.msgid}" if entry.msgctxt else entry.msgid


def untranslated(po: polib.POFile) -> list[str]:
    return [label(entry) for entry in live_entries(po)
            if "fuzzy" in entry.flags or not all(french for _, french in pairs(entry))]


@pytest.fixture(scope="module")
def po() -> polib.POFile:
    return polib.pofile(str(PO_PATH))


def test_every_text_has_its_french(po):
    assert po.metadata["Language"] == "fr"
    assert po.metadata["Plural-Forms"] == "nplurals=2; plural=(n > 1);"
    assert untranslated(po) == []


def test_placeholders_are_the_same_in_french(po):
    different = [
        (english, french) for entry in live_entries(po) for english, french in pairs(entry)
        if french and placeholders(english) != placeholders(french)
    ]
    assert different == []


def test_python_format_flags_are_consistent(po):
    """A text with %-placeholders is flagged python-format (and one without is not), and its
    French formats without error: a lone % must be written %%."""
    wrong_flag, not_formattable = [], []
    for entry in live_entries(po):
        flagged = "python-format" in entry.flags
        if flagged != any(PERCENT.search(english) for english, _ in pairs(entry)):
            wrong_flag.append(label(entry))
        if flagged:
            for english, french in pairs(entry):
                names = re.findall(r"%\(([^)]*)\)", english)
                values = {name: 1 for name in names} if names else tuple(
                    1 for p in placeholders(english) if p.startswith("%"))
                try:
                    french % values
                except (TypeError, ValueError, KeyError):
                    not_formattable.append(french)
    assert wrong_flag == []
    assert not_formattable == []


def catalogue(entries) -> dict:
    """(context, text) → French, from .po or .mo entries alike."""
    result = {}
    for entry in entries:
        if not entry.msgid:
            continue  # the header
        french = ({int(k): v for k, v in entry.msgstr_plural.items()}
                  if entry.msgid_plural else entry.msgstr)
        result[(entry.msgctxt or None, entry.msgid, entry.msgid_plural or None)] = french
    return result


def test_committed_mo_is_the_po_compiled(po, tmp_path):
    """The .mo must be recompiled (`make messages`) whenever the .po changes."""
    compiled = tmp_path / "django.mo"
    po.save_as_mofile(str(compiled))
    committed = polib.mofile(str(MO_PATH))
    expected = polib.mofile(str(compiled))
    assert catalogue(committed) == catalogue(expected), "run `make messages`"
    assert committed.metadata.get("Plural-Forms") == po.metadata["Plural-Forms"]


def _copy_sources(tmp_path: Path) -> Path:
    """The files makemessages reads (.py, .html, .txt), without the catalogue."""
    def ignore(directory, names):
        skipped = []
        for name in names:
            path = Path(directory) / name
            if path.is_dir():
                if name.startswith(".") or name in {"__pycache__", "locale", "node_modules"}:
                    skipped.append(name)
            elif path.suffix not in {".py", ".html", ".txt"}:
                skipped.append(name)
        return skipped

    sources = tmp_path / "src"
    shutil.copytree(ROOT, sources, ignore=ignore, symlinks=True)
    return sources


@pytest.mark.skipif(shutil.which("xgettext") is None or shutil.which("msgmerge") is None,
                    reason="extracting texts needs GNU gettext")
def test_every_text_of_the_code_is_in_the_catalogue(tmp_path, monkeypatch):
    """What `make messages` would merge into the .po: a text added to the code (or changed)
    without its French shows here, empty or as msgmerge's fuzzy guess."""
    sources = _copy_sources(tmp_path)
    locale = sources / "locale"
    (locale / "fr" / "LC_MESSAGES").mkdir(parents=True)
    shutil.copy(PO_PATH, locale / "fr" / "LC_MESSAGES" / "django.po")
    monkeypatch.chdir(sources)
    with override_settings(LOCALE_PATHS=[locale]):
        call_command("makemessages", locale=["fr"], ignore_patterns=[".venv", ".data"],
                     verbosity=0)
    merged = polib.pofile(str(locale / "fr" / "LC_MESSAGES" / "django.po"))
    assert untranslated(merged) == [], (
        "texts without French: write their msgstr in locale/fr/LC_MESSAGES/django.po, "
        "then `make messages`")
