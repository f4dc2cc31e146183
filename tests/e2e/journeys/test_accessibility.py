"""An organisation's owner walks every page of the menu with a keyboard, a wide screen and a
phone, in English and French: the header holds on one line at 1,366 px and behind one "Menu"
button on a phone, the skip link comes first, the focus ring can be seen (3:1), touch targets
are large enough (WCAG 2.2, 2.5.8) and nothing scrolls sideways at 360 px."""

import pytest

from tenants.context_processors import MENU
from tests.conftest import PASSWORD
from tests.e2e.journey import check_page, tenant_url

pytestmark = pytest.mark.browser

TEXTS = {
    "en": {"email": "E-mail address", "password": "Password", "log_in": "Log in",
           "menu": "Menu", "log_out": "Log out", "skip": "Skip to content", "save": "Save",
           "saved": "Settings saved.", "not_found": "Page not found"},
    "fr": {"email": "Adresse e-mail", "password": "Mot de passe", "log_in": "Se connecter",
           "menu": "Menu", "log_out": "Se déconnecter", "skip": "Aller au contenu",
           "save": "Enregistrer", "saved": "Paramètres enregistrés.",
           "not_found": "Page introuvable"},
}

# The focused element's outline, and its contrast (WCAG's relative luminance) with the first
# opaque background behind the element.
_FOCUS_RING = """() => {
  const el = document.activeElement;
  const parse = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  const channel = (v) => {
    v /= 255;
    return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
  };
  const lum = ([r, g, b]) => 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
  let node = el.parentElement, background = [255, 255, 255];
  while (node) {
    const c = parse(getComputedStyle(node).backgroundColor);
    if (c.length >= 3 && (c.length < 4 || c[3] > 0.9)) { background = c; break; }
    node = node.parentElement;
  }
  const style = getComputedStyle(el);
  const [a, b] = [lum(parse(style.outlineColor)), lum(background)].sort((x, y) => y - x);
  return {
    what: el.tagName + ' ' + (el.name || el.textContent || '').trim().slice(0, 30),
    // A date field's calendar button holds focus inside the field's own shadow tree.
    inner: !el.matches(':focus'),
    style: style.outlineStyle, width: parseFloat(style.outlineWidth),
    contrast: (a + 0.05) / (b + 0.05),
  };
}"""

# WCAG 2.2, 2.5.8: a target is 24 x 24 px or more, or a 24 px circle centred on it touches no
# other target. Links inside a sentence are exempt (the "inline" exception).
_SMALL_TARGETS = """() => {
  const visible = (el) => {
    const s = getComputedStyle(el);
    const r = el.getBoundingClientRect();
    return s.visibility !== 'hidden' && s.display !== 'none' && r.width > 0 && r.height > 0;
  };
  const inSentence = (el) => {
    if (el.tagName !== 'A' || getComputedStyle(el).display !== 'inline') return false;
    let block = el.parentElement;
    while (block && getComputedStyle(block).display === 'inline') block = block.parentElement;
    return block && block.textContent.trim().length > el.textContent.trim().length + 3;
  };
  const selector = 'header a, header button, header summary, main a, main button, '
    + 'main summary, main input:not([type=hidden]), main select';
  const targets = [...document.querySelectorAll(selector)]
    .filter(visible).filter((el) => !inSentence(el));
  const rects = targets.map((el) => el.getBoundingClientRect());
  const undersized = (r) => r.width < 24 || r.height < 24;
  const small = [];
  targets.forEach((el, i) => {
    const r = rects[i];
    if (!undersized(r)) return;
    const cx = r.left + r.width / 2, cy = r.top + r.height / 2;
    const crowded = rects.some((o, j) => {
      if (j === i) return false;
      if (undersized(o)) {
        return Math.hypot(o.left + o.width / 2 - cx, o.top + o.height / 2 - cy) < 24;
      }
      const dx = Math.max(o.left - cx, 0, cx - o.right);
      const dy = Math.max(o.top - cy, 0, cy - o.bottom);
      return Math.hypot(dx, dy) < 12;
    });
    const name = (el.textContent || el.name || '').trim().slice(0, 40);
    const size = `${Math.round(r.width)}x${Math.round(r.height)}`;
    if (crowded) small.push(`${el.tagName} "${name}" ${size}`);
  });
  return small;
}"""

# What sticks out of the screen, for a readable failure. A wide table inside a box that
# scrolls sideways (overflow-x auto or scroll, itself inside the screen) does not: the page
# stays the phone's width and the list moves under the finger.
_OVERFLOWING = """() => {
  const width = document.documentElement.clientWidth + 1;
  const inScrollBox = (el) => {
    for (let box = el.parentElement; box && box !== document.body; box = box.parentElement) {
      const x = getComputedStyle(box).overflowX;
      const inside = box.getBoundingClientRect().right <= width;
      if ((x === 'auto' || x === 'scroll') && inside) return true;
    }
    return false;
  };
  return [...document.querySelectorAll('body *')]
    .filter((el) => el.getBoundingClientRect().right > width)
    .filter((el) => el.parentElement.getBoundingClientRect().right <= width)
    .filter((el) => !inScrollBox(el))
    .slice(0, 8)
    .map((el) => `${el.tagName}.${el.getAttribute('class')} ${el.getBoundingClientRect().right}`);
}"""

_ROW_CENTRES = """(items) => items.filter((e) => e.getClientRects().length)
  .map((e) => { const r = e.getBoundingClientRect(); return Math.round(r.top + r.height / 2); })"""


def log_in(page, base: str, lang: str) -> None:
    text = TEXTS[lang]
    page.goto(f"{base}/accounts/login/")
    page.get_by_label(text["email"], exact=True).fill("owner@testco.test")
    page.get_by_label(text["password"], exact=True).fill(PASSWORD)
    page.locator("main").get_by_role("button", name=text["log_in"]).click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def menu_pages(page) -> list[str]:
    """Every address of the organisation's menu, as the header lists them, and the person's
    own Security page (one of their account links)."""
    hrefs = page.eval_on_selector_all(".nav-menu a[href], .nav-links a[href]",
                                      "links => links.map(a => a.getAttribute('href'))")
    return list(dict.fromkeys(hrefs))



def assert_skip_link_first(page, lang: str) -> None:
    page.keyboard.press("Tab")
    first = page.evaluate(
        "() => [document.activeElement.className, document.activeElement.textContent.trim()]")
    assert first == ["skip-link", TEXTS[lang]["skip"]], first
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "content"


def assert_focus_rings(page, stops: int = 12) -> None:
    page.evaluate("() => { document.activeElement.blur(); window.scrollTo(0, 0); }")
    for _ in range(stops):
        page.keyboard.press("Tab")
        ring = page.evaluate(_FOCUS_RING)
        if ring["what"].startswith("BODY"):
            break
        if ring["inner"]:
            continue
        assert ring["style"] != "none" and ring["width"] >= 2, ring
        assert ring["contrast"] >= 3, ring


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_wide_screen_menu_on_one_line_with_keyboard(live_url, open_person, lang):
    base = tenant_url(live_url, "testco")
    page = open_person(lang=lang, device="desktop")
    log_in(page, base, lang)
    pages = menu_pages(page)
    assert len(pages) == len(MENU) + 1, pages  # the whole menu and one's own Security page
    for path in pages:
        page.goto(base + path)
        # One row: every part of the header on one line of 44 px controls.
        centres = page.eval_on_selector_all("header nav > *", _ROW_CENTRES)
        assert max(centres) - min(centres) <= 4, (path, centres)
        assert page.locator("header nav").bounding_box()["height"] <= 56, path
        assert page.locator(".nav-menu").is_hidden()
        marked = page.locator(f'.nav-links a[href="{path}"][aria-current="page"], '
                              f'.nav-more a[href="{path}"][aria-current="page"], '
                              f'.nav-account a[href="{path}"][aria-current="page"]')
        assert marked.count() == 1, path
        assert page.locator("h1").count() == 1, path
        assert_skip_link_first(page, lang)
        assert_focus_rings(page)
        check_page(page)

    # "More" opens with the keyboard; Escape closes it and gives focus back to it.
    page.goto(base + pages[0])
    page.locator(".nav-more > summary").focus()
    page.keyboard.press("Enter")
    assert page.locator(".nav-more a").first.is_visible()
    page.keyboard.press("Tab")
    page.keyboard.press("Escape")
    assert page.locator(".nav-more a").first.is_hidden()
    assert page.evaluate("() => document.activeElement.tagName") == "SUMMARY"
    # Language and log-out on the same line.
    assert page.locator(".lang-switch button").first.is_visible()
    assert page.locator(".nav-account").get_by_role(
        "button", name=TEXTS[lang]["log_out"]).is_visible()

    # A confirmation banner reads without a stray list bullet.
    page.goto(f"{base}/settings/")
    page.locator("main").get_by_role("button", name=TEXTS[lang]["save"]).click()
    banner = page.locator(".messages li").first
    assert banner.inner_text().strip() == TEXTS[lang]["saved"]
    assert banner.evaluate("li => getComputedStyle(li).listStyleType") == "none"
    check_page(page)


@pytest.mark.parametrize("device", ["phone", "phone360"])
@pytest.mark.parametrize("lang", ["en", "fr"])
def test_phone_menu_behind_one_button(live_url, open_person, lang, device):
    base = tenant_url(live_url, "testco")
    page = open_person(lang=lang, device=device)
    log_in(page, base, lang)
    pages = menu_pages(page)
    assert len(pages) == len(MENU) + 1, pages  # the whole menu and one's own Security page
    for path in pages:
        page.goto(base + path)
        menu = page.locator(".nav-menu > summary")
        assert menu.is_visible() and menu.inner_text().strip() == TEXTS[lang]["menu"]
        assert page.locator(".nav-links").is_hidden()
        # One row: brand, language, menu; controls of 44 px.
        assert page.locator("header nav").bounding_box()["height"] <= 56, path
        for control in page.locator(".nav-menu > summary, .lang-switch button").all():
            assert control.bounding_box()["height"] >= 44, path
        assert not page.evaluate(_OVERFLOWING), (path, page.evaluate(_OVERFLOWING))
        small = page.evaluate(_SMALL_TARGETS)
        assert not small, (path, small)
        check_page(page)
        # The menu opens on a tap, on the page shown, with log-out in it.
        menu.click()
        assert page.locator(f'.nav-menu a[href="{path}"][aria-current="page"]').is_visible()
        assert page.locator(".nav-menu").get_by_role(
            "button", name=TEXTS[lang]["log_out"]).is_visible()
        for link in page.locator(".nav-menu a").all():
            assert link.bounding_box()["height"] >= 44, path
        width = page.viewport_size["width"]
        assert page.evaluate("() => document.documentElement.scrollWidth") <= width


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_missing_address_reads_as_the_products_page(live_url, open_person, lang):
    base = tenant_url(live_url, "testco")
    page = open_person(lang=lang, device="phone360")
    log_in(page, base, lang)
    response = page.goto(f"{base}/campaigns/999999/")
    assert response.status == 404
    assert page.locator("h1").inner_text() == TEXTS[lang]["not_found"]
    back = page.locator("main .error-actions a")
    assert back.is_visible() and back.get_attribute("href") == "/"
    check_page(page)


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_public_site_header_on_a_phone_and_a_wide_screen(live_url, open_person, lang):
    trial = {"en": "Start a free trial", "fr": "Essai gratuit"}[lang]
    wide = open_person(lang=lang, device="desktop")
    wide.goto(live_url + "/")
    centres = wide.eval_on_selector_all("header nav > *", _ROW_CENTRES)
    assert max(centres) - min(centres) <= 4, centres
    assert wide.locator(".nav-account").get_by_role("link", name=trial).is_visible()
    # A prospect finds the prices and a way to ask for a demo from every public page.
    pricing, demo = {"en": ("Pricing", "Request a demo"),
                     "fr": ("Tarifs", "Demander une démonstration")}[lang]
    assert wide.locator(".nav-account").get_by_role("link", name=pricing).is_visible()
    assert wide.locator(".nav-account").get_by_role("link", name=demo).is_visible()
    assert_skip_link_first(wide, lang)
    wide.screenshot(path=f"/tmp/shots/layout-public-desktop-{lang}.png")

    phone = open_person(lang=lang, device="phone360")
    phone.goto(live_url + "/")
    assert phone.locator("header nav").bounding_box()["height"] <= 56
    assert phone.locator(".nav-account").is_hidden()
    phone.locator(".nav-menu > summary").click()
    assert phone.locator(".nav-menu").get_by_role("link", name=trial).is_visible()
    assert phone.locator(".nav-menu").get_by_role("link", name=TEXTS[lang]["log_in"]).is_visible()
    phone.screenshot(path=f"/tmp/shots/layout-public-phone-{lang}.png")
    assert not phone.evaluate(_SMALL_TARGETS)
    check_page(phone)
