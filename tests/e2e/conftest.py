import os
import re
import shutil
from pathlib import Path
from urllib.request import urlopen

import pytest

from ..conftest import PYTHON, child_env, free_port, running, wait_for

# Playwright's sync API keeps an event loop in this thread, so Django would refuse database
# calls made by a test between two browser steps; nothing runs concurrently, so allow them.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if not os.path.exists(CHROMIUM):
        message = ("Browser tests need Chromium: `apt-get install -y chromium` (Debian), or set "
                   "CHROMIUM_PATH to a Chromium binary.")
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return CHROMIUM


@pytest.fixture(scope="session")
def live_url(django_db_setup, django_db_blocker, tmp_path_factory):
    """The project served by gunicorn on the test database, as a user would reach it."""
    port = free_port()
    log = tmp_path_factory.mktemp("live") / "server.log"
    # A tile server for the directory's map, as in production; no test fetches its tiles
    # (tests/e2e/journeys/test_directory.py blocks them and counts the requests).
    # Every browser test signs up from 127.0.0.1: the per-address sign-up limit (5 an
    # hour, tested in tests/tenants) would refuse the sixth sign-up of the session.
    env = child_env(SITE_PORT=str(port), PORT=str(port), BASE_DOMAIN="localhost",
                    DIRECTORY_TILE_URL="https://tiles.example.test/{z}/{x}/{y}.png",
                    SIGNUP_RATE_LIMIT="1000/hour")
    cmd = [PYTHON, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}",
           "--workers", "2", "--access-logfile", "-"]
    with running(cmd, env, log) as process:
        def up():
            try:
                return urlopen(f"http://127.0.0.1:{port}/static/css/fullmobs.css",  # noqa: S310
                               timeout=2).status == 200
            except OSError:
                return process.poll() is not None
        assert wait_for(up, 60) and process.poll() is None, log.read_text()
        yield f"http://localhost:{port}"


@pytest.fixture
def page(browser):
    """A page in a fresh context of the session's Chromium (English, Playwright's default
    1,280 × 720 window)."""
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(20_000)
    yield page
    context.close()

DEVICES = {
    "desktop": {"viewport": {"width": 1366, "height": 768}},
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
              "device_scale_factor": 2},
    "phone360": {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True,
                 "device_scale_factor": 2},
}
LOCALES = {"en": "en-GB", "fr": "fr-FR"}
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def browser(chromium_path):
    """One Chromium for the session; each person gets a fresh context (no shared cookies)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path, headless=True,
            args=["--no-sandbox", "--disable-background-networking", "--disable-gpu",
                  "--disable-component-update", "--no-first-run", "--disable-sync"],
        )
        yield browser
        browser.close()


@pytest.fixture
def committed_campaign(django_db_blocker):
    """``committed_campaign(email_domain="phone.example", **options)``: a campaign of the test
    organisation made by ``make_campaign(**options)`` and committed, for the live server to
    see. Afterwards its programme goes with all it holds, and the participants whose address
    ends with ``@email_domain``."""
    from django_tenants.utils import tenant_context

    from engagement.models import Campaign, Participant, Pledge, Programme
    from tenants.models import Organisation

    from ..factories import make_campaign

    made = []

    def make(*, email_domain: str | None = None, **options):
        with django_db_blocker.unblock():
            organisation = Organisation.objects.get(slug="testco")
            with tenant_context(organisation):
                campaign = make_campaign(**options)
        made.append((organisation, campaign, email_domain))
        return campaign

    yield make
    with django_db_blocker.unblock():
        for organisation, campaign, email_domain in made:
            with tenant_context(organisation):
                programme = campaign.programme
                Pledge.objects.filter(slot__campaign__programme=programme).delete()
                Campaign.objects.filter(programme=programme).delete()
                if email_domain:
                    Participant.objects.filter(email__endswith=f"@{email_domain}").delete()
                Programme.objects.filter(pk=programme.pk).delete()


@pytest.fixture
def open_person(browser, request, django_db_setup, django_db_blocker):
    """``open_person(lang="fr", device="phone")``: a page in a fresh browser context, as a
    person with that language on that device. Every page is screenshotted into
    ``test-artifacts/`` when the test fails."""
    from .journey import load_catalogue_codes

    with django_db_blocker.unblock():
        load_catalogue_codes()
    contexts = []

    def open_(lang: str = "en", device: str = "desktop", **options):
        # ``options``: more of the context's settings (``timezone_id="Europe/Paris"``).
        context = browser.new_context(locale=LOCALES[lang], **DEVICES[device],
                                      permissions=["clipboard-read", "clipboard-write"],
                                      **options)
        context.set_default_timeout(20_000)
        contexts.append(context)
        return context.new_page()

    yield open_
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        folder = ARTIFACTS / re.sub(r"[^\w.-]+", "_", request.node.nodeid)
        folder.mkdir(parents=True, exist_ok=True)
        for number, context in enumerate(contexts):
            for index, page in enumerate(context.pages):
                try:
                    page.screenshot(path=str(folder / f"person{number}-page{index}.png"),
                                    full_page=True)
                except Exception as error:  # noqa: BLE001 - a closed page must not hide the failure
                    (folder / f"person{number}-page{index}.txt").write_text(str(error))
    for context in contexts:
        context.close()
