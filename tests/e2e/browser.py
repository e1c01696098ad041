"""What the browser tests share: Debian's Chromium driven by Playwright, the demo school as
the API reports it, signing in as a demo user, and an accessibility check (axe-core, run in
the page) that every view must pass with no serious or critical violation."""

import os
import shutil

import pytest
import requests

from tests.support import bearer

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCREENSHOTS = os.path.join(ROOT, "build", "screenshots")
DOCS_SCREENS = os.path.join(ROOT, "docs", "screens")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
GROUP = "Beginners Guitar (group)"
PIANO = "Piano 1:1"
MIA = "Mia Meyer"
WAIT_MS = 15_000


def _chromium() -> str:
    path = shutil.which("chromium") or ("/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None)
    if path is None:
        pytest.fail("chromium is not installed: run tools/ensure_chromium.sh (make test does)")
    return path


def launch_browser():
    """Chromium for one module (a generator: the fixture yields it)."""
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError:
        pytest.fail("playwright is not installed: .venv/bin/pip install -r requirements-dev.txt")
    os.makedirs(SCREENSHOTS, exist_ok=True)
    expect.set_options(timeout=WAIT_MS)
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=_chromium(), headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


class Demo:
    """The demo school as the API reports it, to choose what the browser should show."""

    def __init__(self, base: str):
        self.base = base
        answer = requests.get(f"{base}/local/demo-tokens", timeout=10)
        assert answer.status_code == 200, answer.text
        self.tokens = answer.json()["tokens"]
        self.company_id = answer.json()["company_id"]
        schedules = self.get("staff", "/schedules")["items"]
        self.schedules = {s["name"]: s for s in schedules}

    def get(self, role: str, path: str) -> dict:
        answer = requests.get(self.base + path, headers=bearer(self.tokens[role]), timeout=10)
        assert answer.status_code == 200, (path, answer.status_code, answer.text)
        return answer.json()

    def board(self, name: str) -> dict:
        return self.get("staff", f"/schedules/{self.schedules[name]['id']}/board")


def sign_in_as(page, base: str, role: str) -> None:
    page.goto(f"{base}/app")
    page.click(f"#demo-users button[data-demo='{role}']")


_AXE: list[str] = []


def check_accessibility(page, where: str) -> None:
    """axe-core (the copy axe-playwright-python vendors) in the page: no serious or critical
    violation. The script goes into a page once; the page is one document across its views."""
    if not _AXE:
        from axe_playwright_python.sync_playwright import Axe

        _AXE.append(Axe().axe_script)
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(_AXE[0])
    results = page.evaluate("options => axe.run(document, options)", {"resultTypes": ["violations"]})
    bad = [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert not bad, f"{where}: accessibility violations {bad}"
