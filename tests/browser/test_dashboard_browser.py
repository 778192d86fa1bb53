"""End to end in a real browser, at three window widths: Voila serves notebooks/05_dashboard.ipynb,
headless Chromium clicks Load (the 0.25 model, then the 0.75 one, which does not fit), and every
field of the Dashboard must stay visible, clear of the storage chart, with the chart readable.

1000 px is JupyterLab's output area at a 1400 px window with the file browser open (as Binder
opens it); 1400 and 1600 px are wider windows. Debian's Chromium (``apt-get install chromium``)
driven by Playwright with ``executable_path``; nothing is downloaded, and every request that is
not to 127.0.0.1 is aborted. Skipped with the reason when Chromium, Playwright or Voila is
missing. With ``TFCACHE_NB_RECORD_FIGURES=1`` the screenshots go to docs/figures/.
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
FIGURES = REPO / "docs" / "figures"
PAGE_TIMEOUT_MS = 120_000  # the kernel must start and run the notebook before widgets show
WIDTHS = (1000, 1400, 1600)

#: every field of the first tab, by its stable CSS class
FIELDS = ("tfcache-source", "tfcache-url", "tfcache-app-id", "tfcache-user-id", "tfcache-profile",
          "tfcache-load", "tfcache-remove", "tfcache-clear", "tfcache-progress", "tfcache-report",
          "tfcache-storage-table")
#: a readable chart: at least this many CSS pixels, and at least this part of its drawn size
#: (its 8-point labels are 11 px high at full size)
MIN_CHART_WIDTH, MIN_CHART_HEIGHT, MIN_CHART_SCALE = 560, 380, 0.74


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


@pytest.fixture(scope="module")
def voila_url(tmp_path_factory):
    """One Voila server for the module; each page it serves runs the notebook in a new kernel."""
    _requirements()
    tmp = tmp_path_factory.mktemp("voila")
    env = dict(os.environ)
    for var in ("JUPYTER_DATA_DIR", "JUPYTER_CONFIG_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR",
                "MPLCONFIGDIR", "TFCACHE_NB_HOME"):
        folder = tmp / var.lower()
        folder.mkdir()
        env[var] = str(folder)
    env["TFCACHE_NB_INTERNET"] = "0"
    port = _free_port()
    log = tmp / "voila.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "voila", str(NOTEBOOK), "--no-browser", f"--port={port}",
             "--Voila.ip=127.0.0.1", "--Voila.root_dir=" + str(NOTEBOOK.parent)],
            cwd=NOTEBOOK.parent, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_for_port(proc, port, log)
        yield f"http://127.0.0.1:{port}/"
    finally:
        _stop(proc)


@pytest.fixture(scope="module")
def browser(voila_url):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM))
        try:
            yield b
        finally:
            b.close()


def _overlap(a: dict, b: dict) -> float:
    dx = min(a["x"] + a["width"], b["x"] + b["width"]) - max(a["x"], b["x"])
    dy = min(a["y"] + a["height"], b["y"] + b["height"]) - max(a["y"], b["y"])
    return max(0.0, dx) * max(0.0, dy)


# the element drawn at the centre of a box is the field itself (not the chart, not cut off)
_ON_TOP = """el => { el.scrollIntoView({block: 'center'});
  const r = el.getBoundingClientRect();
  const hit = document.elementFromPoint(r.left + r.width / 2, r.top + Math.min(r.height / 2, 12));
  return hit !== null && (el === hit || el.contains(hit)); }"""

# images that are shown must have a picture: a broken-image icon has naturalWidth 0
_BROKEN_IMAGES = """root => [...root.querySelectorAll('img')]
  .filter(i => getComputedStyle(i).display !== 'none' && i.offsetParent !== null)
  .filter(i => !(i.complete && i.naturalWidth > 0)).length"""

_CHART_SIZE = """img => ({natural: img.naturalWidth, naturalHeight: img.naturalHeight,
  shown: img.getBoundingClientRect().width, shownHeight: img.getBoundingClientRect().height})"""


def _check_layout(page, width: int) -> None:
    dashboard = page.locator(".tfcache-dashboard")
    chart = dashboard.locator("img.tfcache-storage-chart")
    chart.scroll_into_view_if_needed()
    chart_box = chart.bounding_box()
    size = chart.evaluate(_CHART_SIZE)
    assert size["shown"] >= MIN_CHART_WIDTH and size["shownHeight"] >= MIN_CHART_HEIGHT, (width, size)
    assert size["shown"] >= MIN_CHART_SCALE * size["natural"], (width, size)
    assert dashboard.evaluate(_BROKEN_IMAGES) == 0, width
    for css in FIELDS:
        field = dashboard.locator(f".{css}").first
        field.scroll_into_view_if_needed()
        box = field.bounding_box()
        assert box is not None and box["width"] > 0 and box["height"] > 0, (width, css)
        assert box["x"] >= 0 and box["x"] + box["width"] <= width + 0.5, (width, css, box)
        assert field.evaluate(_ON_TOP), f"{css} is covered or cut off at {width} px"
        chart_box = chart.bounding_box()
        box = field.bounding_box()
        assert _overlap(box, chart_box) == 0, (width, css, box, chart_box)
    # the columns are side by side or stacked, never on top of each other
    left = dashboard.locator(".tfcache-load-panel").bounding_box()
    right = dashboard.locator(".tfcache-storage-panel").bounding_box()
    assert left["x"] + left["width"] <= right["x"] + 0.5 or left["y"] + left["height"] <= right["y"] + 0.5, (
        width, left, right)


@pytest.mark.parametrize("width", WIDTHS)
def test_dashboard_fits_and_stays_readable(browser, voila_url, tmp_path, width):
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": width, "height": 1000})
    try:
        page.route("**/*", _local_only)
        page.goto(voila_url, timeout=PAGE_TIMEOUT_MS)
        dashboard = page.locator(".tfcache-dashboard")
        expect(dashboard).to_be_visible(timeout=PAGE_TIMEOUT_MS)
        chart = dashboard.locator("img.tfcache-storage-chart")
        expect(chart).to_be_visible(timeout=PAGE_TIMEOUT_MS)
        # before first use: no broken images anywhere (hidden tabs' charts are not drawn yet)
        assert dashboard.evaluate(_BROKEN_IMAGES) == 0
        assert page.evaluate("() => [...document.querySelectorAll('.tfcache-dashboard img')]"
                             ".filter(i => !i.getAttribute('src')).every(i => i.offsetParent === null)")
        report = dashboard.locator(".tfcache-report")
        expect(report).not_to_contain_text("network")
        # the pages share one storage file: start each width from an empty one
        dashboard.locator("button.tfcache-clear").click()
        expect(report).to_contain_text("Cleared", timeout=PAGE_TIMEOUT_MS)

        # the preselected model: a cold load, saved, the chart redrawn with it
        empty_chart = chart.get_attribute("src")
        dashboard.locator("button.tfcache-load").click()
        expect(report).to_contain_text("network", timeout=PAGE_TIMEOUT_MS)
        expect(report).to_contain_text("saved", timeout=PAGE_TIMEOUT_MS)
        expect(chart).not_to_have_attribute("src", empty_chart or "", timeout=PAGE_TIMEOUT_MS)
        expect(dashboard.locator(".tfcache-error")).not_to_contain_text("rror")
        _check_layout(page, width)

        # the 0.75 model does not fit: drawn as a ghost past the cap, and the chart stays readable
        select = dashboard.locator(".tfcache-source select")
        big = [o for o in select.locator("option").all_inner_texts() if "0.75" in o]
        if big:
            before = chart.get_attribute("src")
            select.select_option(label=big[0])
            dashboard.locator("button.tfcache-load").click()
            expect(chart).not_to_have_attribute("src", before or "", timeout=PAGE_TIMEOUT_MS)
            expect(report).to_contain_text("0.75", timeout=PAGE_TIMEOUT_MS)
            expect(dashboard.locator(".tfcache-error")).not_to_contain_text("rror")
            _check_layout(page, width)

        # Voila scrolls inside its own container: make the window as tall as the dashboard to shoot it whole
        tall = int(dashboard.evaluate("el => el.scrollHeight")) + 40
        page.set_viewport_size({"width": width, "height": max(1000, tall)})
        shot = tmp_path / f"dashboard_{width}.png"
        dashboard.screenshot(path=str(shot))
        assert shot.stat().st_size > 20_000
        if os.environ.get("TFCACHE_NB_RECORD_FIGURES") == "1":  # the README's figures, only when asked
            shutil.copyfile(shot, FIGURES / shot.name)
        if not big:
            pytest.skip("checked with the preselected model only: no 0.75 model offered "
                        "(../shared/models or $TFCACHE_NB_MODEL_DIR holds it)")
    finally:
        page.close()
