"""Take docs/web.png: `zstags serve` in a subprocess, the page in headless chromium, the
example photo dropped in, one suggestion chosen and a caption typed.

    python docs/screenshot.py            (needs Debian's chromium: apt-get install chromium)
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path
from urllib.request import urlopen

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
PORT = 8765


def main() -> None:
    server = subprocess.Popen([sys.executable, "-m", "zeroshot_tags.cli.main", "serve", "--port", str(PORT)])
    try:
        _wait_until_up(f"http://127.0.0.1:{PORT}/api/models")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1100, "height": 640})
            page.goto(f"http://127.0.0.1:{PORT}/")
            page.set_input_files("#file", str(ROOT / "examples" / "coffee.jpg"))
            page.wait_for_selector("#suggestions .tag")
            page.locator("#suggestions .tag").first.click()
            page.wait_for_selector("#chosen .tag")
            page.fill("#caption", "slow sunday morning")
            page.wait_for_function("document.getElementById('status').textContent === 'Thinking…'")
            page.wait_for_function("document.getElementById('status').textContent === ''", timeout=120_000)
            page.screenshot(path=str(ROOT / "docs" / "web.png"))
            browser.close()
    finally:
        server.terminate()
        server.wait(10)


def _wait_until_up(url: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            urlopen(url, timeout=2).read()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


if __name__ == "__main__":
    main()
