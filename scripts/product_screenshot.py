"""Pictures of the product for the public site (static/img/dashboard-<lang>.png).

A programme dashboard of the demo company, rendered by the project itself and taken with
the machine's Chromium, one per language, then reduced to a small palette PNG:

    make run                       # or any server of the demo data (seed_demo)
    .venv/bin/python scripts/product_screenshot.py http://acme.localhost:8000

Run it again when the dashboard changes, and commit the two pictures.
"""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

from PIL import Image
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "static" / "img"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
SIZE = (1200, 750)  # what the landing page's <img> declares


def shoot(base: str, lang: str, path: str = "/dashboard/programmes/1/") -> bytes:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--host-resolver-rules=MAP *.localhost 127.0.0.1"])
        context = browser.new_context(viewport={"width": 1600, "height": 1000},
                                      device_scale_factor=1,
                                      locale="fr-FR" if lang == "fr" else "en-GB")
        page = context.new_page()
        page.goto(f"{base}/accounts/login/")
        page.fill("input[name=username]", os.environ.get("DEMO_OWNER", "owner@acme.example"))
        page.fill("input[name=password]", os.environ.get("DEMO_PASSWORD", "mobilise-demo-2026"))
        page.click("main form button[type=submit]")
        page.wait_for_load_state()
        page.goto(f"{base}{path}")
        # The language of the person, whatever the login remembered.
        page.locator(f".lang-switch button[value={lang}]").first.click()
        page.wait_for_load_state("networkidle")
        png = page.screenshot(clip={"x": 0, "y": 0, "width": 1600, "height": 1000})
        browser.close()
    return png


def optimise(png: bytes) -> bytes:
    image = Image.open(io.BytesIO(png)).convert("RGB").resize(SIZE, Image.LANCZOS)
    # A screenshot of flat colours and text: a 128-colour palette keeps it sharp and small.
    reduced = image.quantize(colors=128, method=Image.Quantize.MEDIANCUT, dither=Image.NONE)
    out = io.BytesIO()
    reduced.save(out, format="PNG", optimize=True)
    return out.getvalue()


def main() -> None:
    base = (sys.argv[1] if len(sys.argv) > 1 else "http://acme.localhost:8000").rstrip("/")
    OUT.mkdir(parents=True, exist_ok=True)
    for lang in ("en", "fr"):
        data = optimise(shoot(base, lang))
        target = OUT / f"dashboard-{lang}.png"
        target.write_bytes(data)
        print(f"{target.relative_to(ROOT)}: {len(data) // 1024} KB")


if __name__ == "__main__":
    main()
