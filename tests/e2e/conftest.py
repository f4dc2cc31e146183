import os
import shutil
from urllib.request import urlopen

import pytest

from ..conftest import PYTHON, child_env, free_port, running, wait_for

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
    env = child_env(SITE_PORT=str(port), PORT=str(port), BASE_DOMAIN="localhost")
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
def page(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path,
            headless=True,
            args=["--no-sandbox", "--disable-background-networking", "--disable-gpu",
                  "--disable-component-update", "--no-first-run", "--disable-sync"],
        )
        context = browser.new_context(locale="en-GB")
        page = context.new_page()
        page.set_default_timeout(20_000)
        yield page
        context.close()
        browser.close()
