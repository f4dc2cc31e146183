"""What every page of a journey must satisfy, checked where a person reads it.

``check_page(page)`` is called by the journey tests after each page they read. It fails on:

- horizontal scrolling when the viewport is a phone's (the page is wider than the screen);
- axe-core violations of impact "serious" or "critical" (axe-core vendored from npm in
  ``vendor/axe.min.js``, injected into the page);
- on a French page: English texts of the catalogue left untranslated (a whole text node, a
  button value, a label or an accessible name equal to an English message of the ``.po``
  file, or a sentence of four words or more of one found anywhere in the visible text);
- anywhere: a code of the catalogue (a lever, channel, segment, indicator or template slug)
  shown as such to a person.

The French and code lists come from the project's own data (the ``.po`` catalogue, the
methodology catalogue in the database, the channel choices), so a new message or a new
lever is checked without anyone adding it here.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
PO = ROOT / "locale" / "fr" / "LC_MESSAGES" / "django.po"
PHONE_MAX_WIDTH = 600
BLOCKING_IMPACTS = ("serious", "critical")

# Catalogue codes, filled once per session by the ``open_person`` fixture (it has the
# database); ``check_page`` itself needs no database.
CATALOGUE_CODES: set[str] = set()

# English words that are also French (or brand names) and so prove nothing when seen whole.
_SAME_IN_BOTH = {
    "programme", "programmes", "campagne", "type", "date", "dates", "total", "options",
    "option", "participants", "participant", "invitations", "invitation", "impact", "action",
    "actions", "message", "messages", "minutes", "note", "notes", "statut", "question",
    "questions", "fullmobs", "stripe", "e-mail", "email", "csv", "pdf", "api", "ok", "fr",
    "en", "rse", "csr", "faq", "menu", "description", "phase", "phases", "public", "site",
    "portail", "version", "versions", "intranet", "manager", "source", "segment", "segments",
    "support", "simple", "service", "territoire", "territory", "essential", "essentiel",
    "commentaire", "orange", "information", "informations", "conversion", "organisation",
    "organisations", "accessibilité", "instructions", "contact", "solution", "solutions",
}


def tenant_url(live_url: str, slug: str) -> str:
    """The address of an organisation's space on the live test server."""
    return live_url.replace("//localhost", f"//{slug}.localhost", 1)


def _strip_placeholders(text: str) -> list[str]:
    """The literal fragments of a message, between its placeholders and markup."""
    text = re.sub(r"%\(\w+\)[sdfi]|%[sdfi]|\{\w*\}|<[^>]+>", "\n", text)
    return [fragment.strip(" .:,;!?()\"'«»…") for fragment in text.split("\n")]


@lru_cache(maxsize=1)
def english_messages() -> tuple[frozenset[str], tuple[str, ...]]:
    """(whole texts, long fragments) of English messages whose French differs."""
    import polib

    whole: set[str] = set()
    fragments: set[str] = set()
    for entry in polib.pofile(str(PO)):
        french = entry.msgstr or (entry.msgstr_plural or {}).get(0, "")
        if entry.obsolete or not french:
            continue
        for msgid in filter(None, (entry.msgid, entry.msgid_plural)):
            if msgid.strip() == french.strip():
                continue
            literal = msgid.strip().rstrip(":").strip()
            if literal and literal.lower() not in _SAME_IN_BOTH and re.search(r"[A-Za-z]", literal):
                whole.add(literal)
            for fragment in _strip_placeholders(msgid):
                if len(fragment.split()) >= 4 and fragment not in french:
                    fragments.add(fragment)
    return frozenset(whole), tuple(sorted(fragments, key=len, reverse=True))


def load_catalogue_codes() -> None:
    """Codes a person must never read: levers, indicators, channels, template slugs."""
    if CATALOGUE_CODES:
        return
    from django.db import connection

    from engagement.models import Channel
    from methodology.models import ImpactIndicator, Lever, Template

    connection.set_schema_to_public()

    codes = set(Lever.objects.values_list("code", flat=True))
    codes |= set(ImpactIndicator.objects.values_list("code", flat=True))
    codes |= set(Template.objects.values_list("slug", flat=True))
    codes |= set(Channel.values)
    from reports.levers import SEGMENTS

    codes |= {segment for segment in SEGMENTS if "_" in segment}
    # Only codes that cannot be ordinary words: joined words (snake or kebab case).
    CATALOGUE_CODES.update(code for code in codes if re.search(r"[_-]", code))


_READ_PAGE = """() => {
  const visible = (el) => {
    if (!el) return false;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || style.display === 'none') return false;
    return el.getClientRects().length > 0;
  };
  const texts = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const parent = node.parentElement;
    if (!parent || ['SCRIPT', 'STYLE', 'NOSCRIPT', 'TEMPLATE'].includes(parent.tagName)) continue;
    if (parent.closest('[translate="no"], [data-user-content], code, pre, textarea')) continue;
    if (!visible(parent)) continue;
    const text = node.textContent.replace(/\\s+/g, ' ').trim();
    if (text) texts.push(text);
  }
  const labelled = '[placeholder], [aria-label], [title], img[alt], input[type=submit], '
    + 'input[type=button]';
  for (const el of document.querySelectorAll(labelled)) {
    if (el.closest('[translate="no"], [data-user-content]')) continue;
    for (const attr of ['placeholder', 'aria-label', 'title', 'alt', 'value']) {
      if (attr === 'value' && !['submit', 'button'].includes(el.type)) continue;
      const value = (el.getAttribute(attr) || '').trim();
      if (value) texts.push(value);
    }
  }
  return {
    lang: document.documentElement.lang,
    texts,
    body: document.body.innerText,
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
    screenWidth: window.screen.width,
  };
}"""

_RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' ') + ' — ' + (n.failureSummary || '')),
  }));
}"""


@lru_cache(maxsize=1)
def _axe_source() -> str:
    return AXE.read_text(encoding="utf-8")


def english_on_french_page(texts: list[str], body: str) -> list[str]:
    whole, fragments = english_messages()
    found = []
    for text in texts:
        literal = text.strip().rstrip(":").strip()
        if literal in whole:
            found.append(literal)
    for fragment in fragments:
        if fragment in body:
            found.append(fragment)
    return sorted(set(found))


def codes_shown(texts: list[str]) -> list[str]:
    found = set()
    for text in texts:
        for token in re.findall(r"[\w/-]+", text):
            for part in token.split("/"):
                if part in CATALOGUE_CODES:
                    found.add(part)
    return sorted(found)


def check_page(page, *, axe: bool = True) -> None:
    """Assert what every page of a journey must satisfy (see the module's docstring)."""
    page.wait_for_load_state("load")
    seen = page.evaluate(_READ_PAGE)
    where = f"{page.url} ({seen['innerWidth']} px, lang={seen['lang']})"
    problems = []
    # Against the screen, not the layout viewport: a page without a viewport meta tag is laid
    # out 980 px wide on a phone and must fail too.
    if seen["screenWidth"] <= PHONE_MAX_WIDTH and seen["scrollWidth"] > seen["screenWidth"]:
        problems.append(f"wider than the screen: {seen['scrollWidth']} px "
                        f"on a {seen['screenWidth']} px screen")
    if seen["lang"].startswith("fr"):
        english = english_on_french_page(seen["texts"], seen["body"])
        if english:
            problems.append("English on a French page: " + " | ".join(english[:15]))
    codes = codes_shown(seen["texts"])
    if codes:
        problems.append("catalogue codes shown: " + ", ".join(codes))
    if axe:
        if not page.evaluate("() => typeof axe !== 'undefined'"):
            # Evaluated through the DevTools protocol, not as a <script> tag: the pages'
            # Content-Security-Policy refuses inline scripts, and must go on doing so.
            page.evaluate("() => {\n" + _axe_source() + "\n}")
        violations = [v for v in page.evaluate(_RUN_AXE) if v["impact"] in BLOCKING_IMPACTS]
        for violation in violations:
            problems.append(f"axe {violation['impact']} {violation['id']}: {violation['help']}: "
                            + "; ".join(violation["nodes"]))
    assert not problems, f"{where}:\n  " + "\n  ".join(problems)
