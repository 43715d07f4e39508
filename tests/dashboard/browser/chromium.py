"""Debian's Chromium, headless, as the browser tests and bench/dashboard_screenshots.py launch it.

Playwright drives it (its Python package and driver only: never `playwright install`, which
downloads a browser of its own). We run as root in a container, hence --no-sandbox; the other
switches keep Chromium from reaching for the network on its own (updates, sync, QUIC probes).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Playwright

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
               "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1280, "height": 900}


def launch(playwright: Playwright) -> Browser:
    return playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS)
