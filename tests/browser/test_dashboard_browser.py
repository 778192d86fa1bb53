"""End to end in a real browser: Voila serves notebooks/05_dashboard.ipynb, headless Chromium
clicks Load, and the load report and the redrawn storage chart appear.

Debian's Chromium (``apt-get install chromium``) driven by Playwright with
``executable_path``; nothing is downloaded, and every request that is not to 127.0.0.1 is
aborted. Skipped with the reason when Chromium, Playwright or Voila is missing.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
REPO = Path(__file__).resolve().parents[2]
NOTEBOOK = REPO / "notebooks" / "05_dashboard.ipynb"
SCREENSHOT = REPO / "docs" / "figures" / "dashboard.png"
PAGE_TIMEOUT_MS = 120_000  # the kernel must start and run the notebook before widgets show


def _requirements() -> None:
    if not CHROMIUM.exists():
        pytest.skip("Chromium is absent: /usr/bin/chromium not found (apt-get install chromium)")
    pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install playwright==1.65.2)")
    pytest.importorskip("voila", reason="voila is not installed (pip install 'voila>=0.5,<0.6')")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_port(proc: subprocess.Popen, port: int, log: Path, timeout: float = 60.0) -> None:
    """Voila serving one notebook has no /api route: wait until its port accepts connections."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"Voila exited with code {proc.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"Voila did not listen on port {port} within {timeout:.0f} s:\n{log.read_text(errors='replace')[-3000:]}")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)  # Voila and its kernel, which it started
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)


def _local_only(route) -> None:
    parts = urlsplit(route.request.url)
    if parts.scheme in ("data", "blob") or parts.hostname == "127.0.0.1":
        route.continue_()
    else:
        route.abort()


def test_dashboard_load_shows_report_and_storage_chart(tmp_path):
    _requirements()
    from playwright.sync_api import expect, sync_playwright

    env = dict(os.environ)
    for var in ("JUPYTER_DATA_DIR", "JUPYTER_CONFIG_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR",
                "MPLCONFIGDIR", "TFCACHE_NB_HOME"):
        folder = tmp_path / var.lower()
        folder.mkdir()
        env[var] = str(folder)
    env["TFCACHE_NB_INTERNET"] = "0"
    port = _free_port()
    log = tmp_path / "voila.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "voila", str(NOTEBOOK), "--no-browser", f"--port={port}",
             "--Voila.ip=127.0.0.1", "--Voila.root_dir=" + str(NOTEBOOK.parent)],
            cwd=NOTEBOOK.parent, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_for_port(proc, port, log)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM))
            try:
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                page.route("**/*", _local_only)
                page.goto(f"http://127.0.0.1:{port}/", timeout=PAGE_TIMEOUT_MS)

                dashboard = page.locator(".tfcache-dashboard")
                expect(dashboard).to_be_visible(timeout=PAGE_TIMEOUT_MS)
                chart = dashboard.locator("img.tfcache-storage-chart")
                expect(chart).to_be_visible(timeout=PAGE_TIMEOUT_MS)
                empty_chart = chart.get_attribute("src")
                report = dashboard.locator(".tfcache-report")
                expect(report).not_to_contain_text("network")

                dashboard.locator("button.tfcache-load").click()

                # the report of a cold load, then the chart redrawn with the model in it
                expect(report).to_contain_text("network", timeout=PAGE_TIMEOUT_MS)
                expect(report).to_contain_text("saved", timeout=PAGE_TIMEOUT_MS)
                expect(chart).not_to_have_attribute("src", empty_chart or "", timeout=PAGE_TIMEOUT_MS)
                expect(dashboard.locator(".tfcache-error")).not_to_contain_text("rror")
                box = chart.bounding_box()
                assert box is not None and box["width"] > 200 and box["height"] > 100, box

                shot = tmp_path / "dashboard.png"
                page.screenshot(path=str(shot), full_page=True)
                assert shot.stat().st_size > 20_000
                if os.environ.get("TFCACHE_NB_RECORD_FIGURES") == "1":  # the README's figure, only when asked
                    shutil.copyfile(shot, SCREENSHOT)
            finally:
                browser.close()
    finally:
        _stop(proc)
