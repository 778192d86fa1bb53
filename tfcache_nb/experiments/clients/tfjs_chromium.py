"""The real client as ground truth: TensorFlow.js in headless Chromium, driven by Playwright.

The pinned ``@tensorflow/tfjs`` build (:mod:`.tfjs_assets`) runs in a local page served on
127.0.0.1 (nothing is fetched from elsewhere: every other host fails to resolve). A trial is
one simulated user:

- :meth:`TfjsChromium.new_user` opens a fresh browser context: an empty HTTP cache, no open
  connections, empty IndexedDB and localStorage, as a first launch on a new phone;
- :meth:`~TfjsChromium.cold` loads the model from the (throttled) ``ModelServer`` with
  ``tf.loadGraphModel`` / ``tf.loadLayersModel`` and saves it with ``model.save`` to
  ``indexeddb://<key>`` or ``localstorage://<key>``;
- :meth:`~TfjsChromium.warm` opens a new page in the same context (a later launch) and loads
  the model from that TensorFlow.js cache.

Times are taken in the page (``performance.now()``), so Playwright's own round trips do not
count. The CPU backend is used: a CI browser has no GPU, and the toolkit computes on the CPU.
Every Playwright call runs on one thread the client owns, so it may be used from any thread
(one call at a time).
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import http.server
import json
import os
import threading
import urllib.parse
from importlib import resources
from pathlib import Path
from typing import Any, Callable

from ...cache.report import LoadReport
from ...errors import BrowserClientError, ModelLoadError
from ...netsim.server import ModelServer, RequestRecord
from .tfjs_assets import tfjs_script

CLIENT_NAME = "tfjs-chromium"
#: TensorFlow.js's own browser caches, as run_experiment's ``storages`` names them
BROWSER_STORAGES = ("indexeddb", "localstorage")
_SCHEMES = {"indexeddb": "indexeddb://", "localstorage": "localstorage://"}
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ENV = "TFCACHE_NB_CHROMIUM"
#: how long one load or save may take in the page before it counts as failed
DEFAULT_DEADLINE_S = 300.0
_PAGE_FILES = {"/": ("index.html", "text/html; charset=utf-8"),
               "/client.js": ("client.js", "text/javascript; charset=utf-8")}


def chromium_path() -> Path:
    """``$TFCACHE_NB_CHROMIUM``, else Debian's ``/usr/bin/chromium``."""
    return Path(os.environ.get(CHROMIUM_ENV) or CHROMIUM)


def browser_client_missing() -> str | None:
    """Why the browser client cannot start here (Playwright or Chromium absent), or None."""
    missing = _playwright_missing()
    if missing is not None:
        return missing
    if not chromium_path().is_file():
        return (f"Chromium is not installed at {chromium_path()}: apt-get install chromium, "
                f"or set ${CHROMIUM_ENV} to a Chromium executable")
    return None


def _playwright_missing() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return ("Playwright is not installed: pip install 'tfcache_nb[browser]' "
                "(playwright==1.65.2; never `playwright install`, the system's Chromium is used)")
    return None


def is_graph_model(folder: str | os.PathLike) -> bool:
    """Which TF.js loader a model folder needs (the rule of ``ModelArtifacts.is_graph_model``)."""
    path = Path(folder)
    model_json = path / "model.json" if path.is_dir() else path
    try:
        doc = json.loads(model_json.read_bytes())
    except (OSError, ValueError):
        raise ModelLoadError(f"cannot read {model_json} to choose TensorFlow.js's loader",
                             url=str(model_json)) from None
    fmt = doc.get("format") if isinstance(doc, dict) else None
    if fmt is not None:
        return fmt == "graph-model"
    topology = doc.get("modelTopology") if isinstance(doc, dict) else None
    return isinstance(topology, dict) and "node" in topology


@dataclasses.dataclass
class BrowserTrial:
    """One simulated user's cold and warm loads, with the requests the server saw for each."""

    cold: LoadReport
    warm: LoadReport
    cold_requests: list[RequestRecord]
    warm_requests: list[RequestRecord]


class TfjsChromium:
    """Headless Chromium running the pinned TensorFlow.js; see the module docstring.

    Use it as a context manager (or :meth:`start` / :meth:`close`). ``executable``: the
    Chromium binary (default :func:`chromium_path`). ``tfjs``: a ``tf.min.js`` to use
    (default :func:`~.tfjs_assets.tfjs_script`, fetched once). ``deadline_s``: the longest
    one load or save may take in the page.
    """

    name = CLIENT_NAME

    def __init__(self, *, executable: str | os.PathLike | None = None,
                 tfjs: str | os.PathLike | None = None,
                 deadline_s: float = DEFAULT_DEADLINE_S) -> None:
        self.executable = Path(executable) if executable is not None else chromium_path()
        self.tfjs = Path(tfjs) if tfjs is not None else None
        self.deadline_s = float(deadline_s)
        self.tfjs_version: str | None = None
        self.backend: str | None = None
        self._pool: concurrent.futures.ThreadPoolExecutor | None = None
        self._pages: _PageServer | None = None
        self._pw: Any = None
        self._browser: Any = None
        self._context: Any = None
        self._page: Any = None
        self._trial_lock = threading.Lock()

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self) -> "TfjsChromium":
        """Fetch TensorFlow.js if needed, serve the page and launch Chromium (idempotent)."""
        if self._pool is not None:
            return self
        missing = _playwright_missing()
        if missing is None and not self.executable.is_file():
            missing = (f"Chromium is not installed at {self.executable}: apt-get install chromium, "
                       f"or set ${CHROMIUM_ENV} to a Chromium executable")
        if missing:
            raise BrowserClientError(f"the {CLIENT_NAME} client cannot run: {missing}")
        self._pages = _PageServer(self.tfjs or tfjs_script()).start()
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix=CLIENT_NAME)
        try:
            self._call(self._launch)
        except BaseException:
            self.close()
            raise
        return self

    def close(self) -> None:
        """Close the browser, stop the page server and the client's thread (idempotent)."""
        pool, self._pool = self._pool, None
        if pool is not None:
            try:
                pool.submit(self._shutdown).result(timeout=60)
            except Exception:
                pass
            pool.shutdown(wait=True)
        pages, self._pages = self._pages, None
        if pages is not None:
            pages.stop()

    def __enter__(self) -> "TfjsChromium":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -- one simulated user --------------------------------------------------------------------
    def new_user(self) -> None:
        """A first launch on a new phone: a fresh browser context (no HTTP cache, no open
        connections, empty IndexedDB and localStorage) with the page loaded."""
        self._call(self._fresh_context)

    def user_trial(self, url: str, cache_key: str, storage: str, *, graph: bool,
                   server: ModelServer | None = None,
                   before_cold: Callable[[], Any] | None = None,
                   before_warm: Callable[[], Any] | None = None,
                   deadline_s: float | None = None) -> BrowserTrial:
        """One simulated user whole: :meth:`new_user`, ``before_cold()``, :meth:`cold`,
        ``before_warm()``, :meth:`warm`, with ``server``'s requests during each load (its log is reset before
        each). Trials asked for from several threads run one after another: one Chromium
        renders them, and users sharing its CPU would distort each other's times.
        ``deadline_s`` replaces the client's deadline for these two loads."""
        with self._trial_lock:
            self.new_user()
            if before_cold is not None:
                before_cold()
            if server is not None:
                server.reset_log()
            cold = self.cold(url, cache_key, storage, graph=graph, server=server,
                             deadline_s=deadline_s)
            cold_requests = server.request_log if server is not None else []
            if before_warm is not None:
                before_warm()
            if server is not None:
                server.reset_log()
            warm = self.warm(url, cache_key, storage, graph=graph, deadline_s=deadline_s)
            warm_requests = server.request_log if server is not None else []
        return BrowserTrial(cold, warm, cold_requests, warm_requests)

    def cold(self, url: str, cache_key: str, storage: str, *, graph: bool,
             server: ModelServer | None = None, deadline_s: float | None = None) -> LoadReport:
        """Load ``url`` over the network with TF.js, then ``model.save`` it to ``storage``.

        ``server`` (the ``ModelServer`` behind ``url``, if any) counts the bytes sent. Raises
        :class:`ModelLoadError` when TensorFlow.js cannot load the model."""
        dest = _destination(storage, cache_key)
        origin = "{0.scheme}://{0.netloc}/".format(urllib.parse.urlsplit(url))
        sent_before = server.bytes_sent if server is not None else 0
        out = self._call(self._evaluate, "cold", {
            "url": url, "format": "graph-model" if graph else "layers-model", "saveTo": dest,
            "origin": origin, "deadline": deadline_s or self.deadline_s})
        if not out["ok"]:
            raise ModelLoadError(f"TensorFlow.js {self.tfjs_version} in Chromium could not load "
                                 f"{url}: {out['error']}", url=url, cause=out["error"])
        report = LoadReport(source="network", url=url, origin="http", cache_key=cache_key)
        report.add_phase("network", out["network_s"])
        report.add_phase("build", max(0.0, out["load_s"] - out["network_s"]))
        report.add_phase("save", out["save_s"])
        report.total_s = out["load_s"] + out["save_s"]
        report.requests = int(out["requests"])
        report.bytes_network = (server.bytes_sent - sent_before) if server is not None else 0
        report.bytes_storage = int(out["bytes_storage"])
        report.saved = bool(out["saved"])
        report.save_error = None if out["saved"] else _save_error(storage, out["save_error"])
        return report

    def warm(self, url: str, cache_key: str, storage: str, *, graph: bool,
             deadline_s: float | None = None) -> LoadReport:
        """A later launch: a new page in the same context loads the model from ``storage``.

        A model that is not there (it did not fit) fails as it would in the real client:
        the report's ``source`` is ``"failed"`` and ``cache_miss_reason`` says why."""
        dest = _destination(storage, cache_key)
        out = self._call(self._evaluate_in_new_page, "warm", {
            "source": dest, "format": "graph-model" if graph else "layers-model",
            "deadline": deadline_s or self.deadline_s})
        report = LoadReport(source="cache" if out["ok"] else "failed", url=url, origin=storage,
                            cache_key=cache_key, total_s=float(out["load_s"]))
        report.add_phase("cache_load", float(out["load_s"]))
        if out["ok"]:
            report.bytes_storage = int(out["bytes_storage"])
            report.requests = int(out["requests"])
        else:
            report.cache_miss_reason = f"TensorFlow.js could not load {dest}: {out['error']}"
        return report

    # -- on the client's thread ----------------------------------------------------------------
    def _call(self, fn: Callable[..., Any], *args: Any) -> Any:
        if self._pool is None:
            raise BrowserClientError(f"the {CLIENT_NAME} client is not started (use it in a with block)")
        return self._pool.submit(fn, *args).result()

    def _launch(self) -> None:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright

        self._pw = sync_playwright().start()
        try:
            # only 127.0.0.1 resolves: no CDN, no internet, whatever a page asks for
            self._browser = self._pw.chromium.launch(
                executable_path=str(self.executable),
                args=["--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"])
        except PlaywrightError as err:
            raise BrowserClientError(f"Chromium ({self.executable}) did not start: "
                                     f"{_first_line(err)}") from None
        self._fresh_context()

    def _fresh_context(self) -> None:
        if self._context is not None:
            self._context.close()
        self._context = self._browser.new_context()
        self._page = None
        self._open_page()

    def _open_page(self) -> None:
        if self._page is not None:
            self._page.close()
        self._page = self._context.new_page()
        self._page.goto(self._pages.url, wait_until="load")
        info = self._page.evaluate("() => window.tfcacheClient ? tfcacheClient.setup() : null")
        if info is None:
            raise BrowserClientError("the TensorFlow.js page did not load (tf.min.js or client.js missing)")
        self.tfjs_version, self.backend = info["version"], info["backend"]

    def _evaluate(self, fn: str, args: dict) -> dict:
        from playwright.sync_api import Error as PlaywrightError

        try:
            return self._page.evaluate(f"args => tfcacheClient.{fn}(args)", args)
        except PlaywrightError as err:
            raise BrowserClientError(f"the browser failed during the {fn} load: {_first_line(err)}") from None

    def _evaluate_in_new_page(self, fn: str, args: dict) -> dict:
        self._open_page()
        return self._evaluate(fn, args)

    def _shutdown(self) -> None:
        for close in (lambda: self._context and self._context.close(),
                      lambda: self._browser and self._browser.close(),
                      lambda: self._pw and self._pw.stop()):
            try:
                close()
            except Exception:
                pass
        self._page = self._context = self._browser = self._pw = None


def _destination(storage: str, cache_key: str) -> str:
    if storage not in _SCHEMES:
        raise BrowserClientError(f"unknown browser storage {storage!r}; choose one of "
                                 f"{', '.join(BROWSER_STORAGES)}")
    return _SCHEMES[storage] + cache_key


def _save_error(storage: str, message: str | None) -> str:
    text = message or "unknown reason"
    if storage == "localstorage" and "quota" in text.lower():
        return (f"the model does not fit in Chromium's localStorage (5 Mi characters per origin; "
                f"TensorFlow.js stores the weights as base64): {text}")
    return text


def _first_line(err: BaseException) -> str:
    return (str(err).strip().splitlines() or [type(err).__name__])[0]


class _PageServer:
    """Serves the client page, client.js and tf.min.js on 127.0.0.1 (unthrottled: the page is
    loaded before a trial's clock starts)."""

    def __init__(self, tfjs: Path) -> None:
        page = resources.files(__package__).joinpath("page")
        self.files = {path: (page.joinpath(name).read_bytes(), ctype)
                      for path, (name, ctype) in _PAGE_FILES.items()}
        self.files["/tf.min.js"] = (Path(tfjs).read_bytes(), "text/javascript; charset=utf-8")
        self._httpd: http.server.ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self._httpd is not None
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/"

    def start(self) -> "_PageServer":
        files = self.files

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                body, ctype = files.get(urllib.parse.urlsplit(self.path).path, (b"not found", "text/plain"))
                found = urllib.parse.urlsplit(self.path).path in files
                self.send_response(200 if found else 404)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "max-age=3600")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

        httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        httpd.daemon_threads = True
        self._httpd = httpd
        self._thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.1},
                                        name="tfjs-page-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        httpd, self._httpd = self._httpd, None
        if httpd is not None:
            httpd.shutdown()
            httpd.server_close()
        if self._thread is not None:
            self._thread.join()
            self._thread = None


__all__ = ["TfjsChromium", "BrowserTrial", "CLIENT_NAME", "BROWSER_STORAGES", "browser_client_missing",
           "chromium_path", "is_graph_model"]
