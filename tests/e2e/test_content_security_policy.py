"""Pages keep to their Content-Security-Policy: no inline script, no inline style without the
page's nonce, nothing from another origin. The live server runs the development settings,
which send the same policy as production; Chromium reports every refusal, and this test
fails on any."""

import pytest

from ..conftest import PASSWORD
from .journey import tenant_url

pytestmark = pytest.mark.browser

# Runs before any script of the page, outside the page's policy: it records each refusal.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (event) => {
  window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI || 'inline'}`
    + ` at ${event.sourceFile || location.pathname}:${event.lineNumber}`);
});
"""


@pytest.fixture
def campaign(committed_campaign):
    return committed_campaign(capacity=20, target=3)


def watched(page) -> list[str]:
    refusals: list[str] = []
    page.add_init_script(RECORD_VIOLATIONS)
    page.on("console", lambda message: refusals.append(message.text)
            if "Content Security Policy" in message.text or "Refused to" in message.text
            else None)
    return refusals


def visit(page, url: str, refusals: list[str]) -> None:
    response = page.goto(url)
    assert response is not None and response.status < 500, url
    assert "script-src 'self'" in (response.headers.get("content-security-policy") or ""), url
    page.wait_for_load_state("networkidle")
    refusals.extend(f"{url}: {v}" for v in page.evaluate("window.__cspViolations || []"))


def test_public_organisation_and_participant_pages_keep_to_the_policy(live_url, open_person,
                                                                       campaign):
    page = open_person(lang="fr", device="desktop")
    refusals = watched(page)
    for path in ("/", "/pricing/", "/demo/", "/signup/", "/accessibility/", "/accounts/login/",
                 "/api/docs/"):
        visit(page, f"{live_url}{path}", refusals)

    tenant = tenant_url(live_url, "testco")
    visit(page, f"{tenant}/c/{campaign.code}/", refusals)
    visit(page, f"{tenant}/accounts/login/", refusals)
    page.locator("input[name=username]").fill("owner@testco.test")
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    menu = page.eval_on_selector_all(".nav-menu a[href], .nav-links a[href]",
                                     "links => links.map(a => a.getAttribute('href'))")
    pages = {href for href in menu if href.startswith("/") and "logout" not in href}
    pages |= {f"/campaigns/{campaign.pk}/", "/settings/", f"/campaigns/{campaign.pk}/poster/"}
    for path in sorted(pages):
        visit(page, f"{tenant}{path}", refusals)
    # htmx answers (a step's status, a dashboard that polls) run under the same policy.
    assert len(pages) >= 6, pages
    assert not refusals, "\n".join(refusals)
