"""A real HTTP server on 127.0.0.1 that serves a TensorFlow.js model folder like a phone network.

Cold (network) loads can then be timed against warm (cache) loads reproducibly.

Pacing rules (``tfcache_nb.netsim.latency_model`` implements exactly the same ones):

1. At most ``profile.max_connections`` requests are served at once (as a browser opens at
   most six connections per host); the others queue until one finishes. The limit is per
   server, which is per client since every client is on 127.0.0.1.
2. Once served, a request waits one round trip (``rtt_ms`` plus its seeded jitter sample)
   before its first byte. Nothing flows on the link during this wait.
3. Response bodies then share one download link of ``down_kbps`` kilobits (1000 bits) per
   second: bytes are sent in small chunks (about 2 ms worth, at most 16 KB), each reserved
   in turn on a shared schedule, so concurrent bodies split the bandwidth evenly (processor
   sharing, as on a real phone link). Headers are not counted against the bandwidth.

With ``profile=None`` nothing is throttled. TCP and TLS handshakes are not simulated: a
request costs one round trip whether or not its connection is new.
"""

from __future__ import annotations

import email.utils
import hashlib
import http.server
import itertools
import os
import posixpath
import socket
import struct
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from ..errors import InvalidArgumentError
from .faults import Fault
from .pacing import CHUNK_S, MAX_CHUNK, MIN_CHUNK, Aborted, Link, Slots
from .profiles import JitterSource, Profile

@dataclass(frozen=True)
class RequestRecord:
    """One request as the server saw it (times are ``time.monotonic()`` seconds)."""

    method: str
    path: str
    status: int
    bytes_sent: int
    start: float
    end: float
    connection_id: int
    rtt_s: float = 0.0
    queued_s: float = 0.0
    fault: str | None = None

    @property
    def duration_s(self) -> float:
        return self.end - self.start


class _HTTPServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = True
    allow_reuse_address = True
    # socketserver's backlog of 5 overflows when a client opens its 6 connections at once on
    # a busy machine; the kernel then drops a SYN and the client retries it a second later
    request_queue_size = 128

    def __init__(self, address, owner: "ModelServer") -> None:
        self.owner = owner
        self.abort = threading.Event()
        self.conns: set[socket.socket] = set()
        self.conns_lock = threading.Lock()
        super().__init__(address, _Handler)

    def handle_error(self, request, client_address) -> None:  # quiet: no tracebacks on stderr
        pass

    def drop_connections(self) -> None:
        self.abort.set()
        with self.conns_lock:
            conns = list(self.conns)
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # else each keep-alive response waits ~40 ms for a delayed ACK
    server_version = "tfcache-nb-ModelServer/0.1"
    timeout = 60  # idle keep-alive connections are closed after this
    server: _HTTPServer

    def setup(self) -> None:
        super().setup()
        self.conn_id = self.server.owner._next_conn_id()
        with self.server.conns_lock:
            self.server.conns.add(self.connection)

    def finish(self) -> None:
        with self.server.conns_lock:
            self.server.conns.discard(self.connection)
        try:
            super().finish()
        except OSError:
            pass

    def handle(self) -> None:
        try:
            super().handle()
        except (Aborted, OSError):
            self.close_connection = True

    def log_message(self, format: str, *args) -> None:  # quiet: no per-request stderr lines
        pass

    # -- methods -------------------------------------------------------------------------------
    def do_GET(self) -> None:
        self.server.owner._serve(self, head=False)

    def do_HEAD(self) -> None:
        self.server.owner._serve(self, head=True)

    def do_OPTIONS(self) -> None:
        self.server.owner._preflight(self)

    def _not_allowed(self) -> None:
        self.server.owner._method_not_allowed(self)

    do_POST = do_PUT = do_DELETE = do_PATCH = _not_allowed


@dataclass
class _Response:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""


class _Exchange:
    """One request's bookkeeping, logged exactly once."""

    def __init__(self, owner: "ModelServer", h: _Handler) -> None:
        self.owner, self.h = owner, h
        self.start = time.monotonic()
        self.abort = h.server.abort
        self.path = urllib.parse.urlsplit(h.path).path
        self.status = 0
        self.sent = 0
        self.rtt = 0.0
        self.queued = 0.0
        self.fault: str | None = None
        self.logged = False
        self.scheduled: float | None = None  # when the link's schedule has this body's last bytes through

    def log(self, more_bytes: int = 0) -> None:
        """Record the request (counting ``more_bytes`` about to be written), once."""
        if self.logged:
            return
        self.logged = True
        self.sent += more_bytes
        self.owner._record(RequestRecord(self.h.command, self.path, self.status, self.sent,
                                         self.start, time.monotonic(), self.h.conn_id,
                                         self.rtt, self.queued, self.fault))


class ModelServer:
    """Serve ``folder`` over HTTP/1.1 on ``host`` (127.0.0.1), paced by ``profile``.

    ``profile`` is None (no throttling), a preset name (a key of ``PROFILES``) or a
    :class:`Profile`. Use it as a context manager, or call :meth:`start` / :meth:`stop`.
    """

    def __init__(self, folder: str | os.PathLike, profile: Profile | str | None = None, *,
                 host: str = "127.0.0.1", port: int = 0, cors: bool = True,
                 faults: Iterable[Fault] = ()) -> None:
        root = Path(folder)
        if root.is_file():  # a model.json path: serve its folder
            root = root.parent
        if not root.is_dir():
            raise InvalidArgumentError(f"cannot serve {str(folder)!r}: it is not a folder")
        self.folder = root.resolve()
        self.host = host
        self.cors = cors
        self._port = port
        self._lock = threading.Lock()
        self._log: list[RequestRecord] = []
        self._bytes_sent = 0
        self._conn_ids = itertools.count(1)
        self._faults: list[list] = [[f, 0] for f in faults]
        self._profile_faults: list[list] = []
        self._link = Link()
        self._slots = Slots()
        self._jitter: JitterSource | None = None
        self._profile: Profile | None = None
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._running = False
        self._offline = False
        self._etags: dict[tuple, str] = {}
        self.set_profile(profile)

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self) -> "ModelServer":
        """Bind the port and serve in background threads (idempotent)."""
        with self._lock:
            if self._running:
                return self
            self._running = True
        if self._offline:
            self._reserve_port()
        else:
            self._go_online()
        return self

    def stop(self) -> None:
        """Close every connection, free the port and join the threads (idempotent)."""
        with self._lock:
            if not self._running:
                return
            self._running = False
        self._go_offline()

    def __enter__(self) -> "ModelServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def __del__(self) -> None:
        try:
            self.stop()
        except Exception:
            pass

    @property
    def port(self) -> int:
        return self._port

    @property
    def url(self) -> str:
        """The base URL, e.g. ``http://127.0.0.1:54321`` (append ``/model.json``)."""
        host = "127.0.0.1" if self.host in ("", "0.0.0.0") else self.host
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self._port}"

    @property
    def address(self) -> tuple[str, int] | None:
        """The (host, port) the listening socket is bound to; None while stopped or offline."""
        httpd = self._httpd
        return tuple(httpd.socket.getsockname()[:2]) if httpd is not None else None

    @property
    def running(self) -> bool:
        return self._running

    @property
    def offline(self) -> bool:
        """True while new connections are refused (the listening socket is closed)."""
        return self._offline

    @offline.setter
    def offline(self, value: bool) -> None:
        value = bool(value)
        with self._lock:
            if value == self._offline:
                return
            self._offline = value
            running = self._running
        if not running:
            return
        if value:
            self._go_offline()
        else:
            self._go_online()

    def _go_online(self) -> None:
        httpd = _HTTPServer((self.host, self._port), self)
        self._port = httpd.server_address[1]
        thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                  name=f"ModelServer:{self._port}", daemon=True)
        self._httpd, self._thread = httpd, thread
        thread.start()

    def _go_offline(self) -> None:
        httpd, thread = self._httpd, self._thread
        self._httpd = self._thread = None
        if httpd is None:
            return
        httpd.drop_connections()
        httpd.shutdown()
        httpd.server_close()  # closes the listening socket and joins the handler threads
        if thread is not None:
            thread.join()

    def _reserve_port(self) -> None:
        if self._port == 0:
            with socket.socket(socket.AF_INET6 if ":" in self.host else socket.AF_INET) as s:
                s.bind((self.host, 0))
                self._port = s.getsockname()[1]

    # -- profile and faults --------------------------------------------------------------------
    @property
    def profile(self) -> Profile | None:
        return self._profile

    def set_profile(self, profile: Profile | str | None) -> None:
        """Change the network while running (a profile's ``offline`` is applied too)."""
        if isinstance(profile, str):
            profile = Profile.from_name(profile)
        elif profile is not None and not isinstance(profile, Profile):
            raise InvalidArgumentError("profile must be None, a preset name or a tfcache_nb.Profile")
        with self._lock:
            self._profile = profile
            self._jitter = JitterSource(profile) if profile is not None else None
            self._profile_faults = [[f, 0] for f in (profile.faults if profile else ())]
        self._slots.set_limit(int(profile.max_connections) if profile else None)
        self.offline = bool(profile and profile.offline)

    def add_fault(self, fault: Fault) -> None:
        """Inject ``fault`` on the requests it matches from now on."""
        with self._lock:
            self._faults.append([fault, 0])

    def clear_faults(self) -> None:
        """Remove the faults added to the server (a profile's own faults stay)."""
        with self._lock:
            self._faults = []

    @property
    def faults(self) -> list[Fault]:
        with self._lock:
            return [f for f, _ in self._profile_faults + self._faults]

    def _pick_fault(self, path: str) -> Fault | None:
        with self._lock:
            for entry in self._profile_faults + self._faults:
                fault = entry[0]
                if fault.matches(path):
                    entry[1] += 1
                    if fault.applies_to(entry[1]):
                        return fault
        return None

    # -- log -----------------------------------------------------------------------------------
    @property
    def request_log(self) -> list[RequestRecord]:
        """A copy of the requests served since the last :meth:`reset_log`, in finish order."""
        with self._lock:
            return list(self._log)

    @property
    def bytes_sent(self) -> int:
        """Body bytes sent since the last :meth:`reset_log`."""
        with self._lock:
            return self._bytes_sent

    def reset_log(self) -> None:
        with self._lock:
            self._log.clear()
            self._bytes_sent = 0

    def _next_conn_id(self) -> int:
        with self._lock:
            return next(self._conn_ids)

    def _record(self, rec: RequestRecord) -> None:
        with self._lock:
            self._log.append(rec)
            self._bytes_sent += rec.bytes_sent

    # -- request handling ----------------------------------------------------------------------
    def _serve(self, h: _Handler, head: bool) -> None:
        ex = _Exchange(self, h)
        with self._lock:
            profile, jitter = self._profile, self._jitter
        try:
            self._slots.acquire(ex.abort)
            try:
                served = time.monotonic()
                ex.queued = served - ex.start
                if jitter is not None:
                    with self._lock:
                        ex.rtt = jitter.next()
                    # the body's schedule starts when the round trip ends, not when this
                    # thread wakes up: a late wake-up (a busy machine) is caught up on
                    ex.scheduled = served + ex.rtt
                    _sleep_until(ex.scheduled, ex.abort)
                self._respond(h, head, profile, ex)
            finally:
                self._slots.release()
        finally:
            ex.log()

    def _respond(self, h: _Handler, head: bool, profile: Profile | None, ex: "_Exchange") -> None:
        # The log entry is written just before the write (or close) that ends the exchange
        # for the client, so a client that has its answer also finds it in request_log.
        resp = self._resolve(h, ex.path)
        fault = self._pick_fault(_display_path(ex.path)) if resp.status != 403 else None
        kind = fault.kind if fault is not None else None
        ex.fault = kind
        if fault is not None:
            resp = _apply_body_fault(fault, resp)
            if kind == "slow_first_byte":
                _sleep(fault.seconds, ex.abort)
            if kind == "reset" and fault.after_bytes is None:
                ex.log()
                _reset(h)
        body = b"" if head or resp.status in (204, 304) else resp.body
        length = len(resp.body)
        if kind == "wrong_length":
            length = (fault.content_length if fault.content_length is not None
                      else max(0, length + fault.length_delta))
        h.send_response(resp.status)
        for k, v in resp.headers:
            h.send_header(k, v)
        if self.cors:
            h.send_header("Access-Control-Allow-Origin", "*")
            h.send_header("Access-Control-Expose-Headers", "ETag, Last-Modified, Content-Length")
        if resp.status != 304:
            h.send_header("Content-Length", str(length))
        closing = kind in ("short_body", "wrong_length", "reset") or (
            kind == "stall" and fault.then == "close")
        if closing:
            h.send_header("Connection", "close")
            h.close_connection = True
        ex.status = resp.status
        cut = None  # send body[:cut], then act
        if kind in ("reset", "stall", "short_body", "trickle") and body:
            after = fault.after_bytes
            if kind == "short_body" and after is None:
                after = len(body) // 2
            cut = min(after or 0, len(body))
        if not body or kind == "wrong_length":
            ex.log(len(body))  # the client may be done as soon as the headers/length arrive
        h.end_headers()
        if cut is None:
            self._send(h, body, profile, ex, final=True)
            return
        self._send(h, body[:cut], profile, ex, final=False)
        if kind == "trickle":
            _trickle(h, body[cut:], fault.rate, ex)
            return
        if kind == "stall":
            _sleep(fault.seconds, ex.abort)
            if fault.then == "continue":
                self._send(h, body[cut:], profile, ex, final=True)
        ex.log()
        if kind == "reset":
            _reset(h)

    def _send(self, h: _Handler, data: bytes, profile: Profile | None, ex: "_Exchange",
              final: bool) -> None:
        if not data:
            return
        if profile is None:
            pieces: Iterable[memoryview] = [memoryview(data)]
            rate = chunk = 0.0
        else:
            rate = profile.bytes_per_s
            chunk = int(min(MAX_CHUNK, max(MIN_CHUNK, rate * CHUNK_S)))
            view = memoryview(data)
            pieces = [view[i:i + chunk] for i in range(0, len(data), chunk)]
        prev_end = ex.scheduled
        last = len(pieces) - 1
        for i, piece in enumerate(pieces):
            if profile is not None:
                prev_end = self._link.reserve(len(piece), rate, prev_end)
                _sleep_until(prev_end, ex.abort)
            if final and i == last:
                ex.log(len(piece))
            h.wfile.write(piece)
            if not ex.logged:
                ex.sent += len(piece)
        ex.scheduled = prev_end

    def _resolve(self, h: _Handler, raw_path: str) -> _Response:
        """The file response (200/304/403/404) for a URL path, before faults."""
        target = self._safe_target(raw_path)
        if target is None:
            return _text(403, "Forbidden: path outside the served folder.")
        if not target.is_file():
            return _text(404, "Not found.")
        try:
            st = target.stat()
            data = target.read_bytes()
        except OSError:
            return _text(404, "Not found.")
        etag = self._etag(target, st, data)
        last_mod = email.utils.formatdate(st.st_mtime, usegmt=True)
        ctype = ("application/json" if target.suffix.lower() == ".json"
                 else "application/octet-stream")
        headers = [("ETag", etag), ("Last-Modified", last_mod), ("Cache-Control", "no-cache")]
        if _not_modified(h.headers, etag, int(st.st_mtime)):
            return _Response(304, headers)
        return _Response(200, [("Content-Type", ctype)] + headers, data)

    def _safe_target(self, raw_path: str) -> Path | None:
        path = urllib.parse.unquote(raw_path)
        if "\x00" in path or "\\" in path:
            return None
        parts = [p for p in path.split("/") if p not in ("", ".")]
        if any(p == ".." for p in parts) or any(":" in p for p in parts):
            return None
        target = self.folder.joinpath(*parts) if parts else self.folder
        try:
            real = target.resolve()
        except (OSError, RuntimeError):
            return None
        if real != self.folder and self.folder not in real.parents:
            return None  # e.g. a symlink leaving the folder
        return real

    def _etag(self, target: Path, st: os.stat_result, data: bytes) -> str:
        key = (str(target), st.st_mtime_ns, st.st_size)
        with self._lock:
            tag = self._etags.get(key)
        if tag is None:
            tag = '"' + hashlib.sha256(data).hexdigest()[:32] + '"'
            with self._lock:
                self._etags[key] = tag
        return tag

    def _preflight(self, h: _Handler) -> None:
        start = time.monotonic()
        h.send_response(204)
        h.send_header("Allow", "GET, HEAD, OPTIONS")
        if self.cors:
            h.send_header("Access-Control-Allow-Origin", "*")
            h.send_header("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS")
            h.send_header("Access-Control-Allow-Headers",
                          h.headers.get("Access-Control-Request-Headers") or "*")
            h.send_header("Access-Control-Max-Age", "600")
        h.send_header("Content-Length", "0")
        h.end_headers()
        self._record(RequestRecord("OPTIONS", urllib.parse.urlsplit(h.path).path, 204, 0,
                                   start, time.monotonic(), h.conn_id))

    def _method_not_allowed(self, h: _Handler) -> None:
        start = time.monotonic()
        resp = _text(405, "Method not allowed.")
        n = int(h.headers.get("Content-Length") or 0)
        if n:
            h.rfile.read(min(n, 1 << 20))
        h.send_response(405)
        h.send_header("Allow", "GET, HEAD, OPTIONS")
        for k, v in resp.headers:
            h.send_header(k, v)
        h.send_header("Content-Length", str(len(resp.body)))
        h.end_headers()
        h.wfile.write(resp.body)
        self._record(RequestRecord(h.command, urllib.parse.urlsplit(h.path).path, 405,
                                   len(resp.body), start, time.monotonic(), h.conn_id))

    def __repr__(self) -> str:
        name = self._profile.name or "custom" if self._profile else "unthrottled"
        state = "offline" if self._offline else ("running" if self._running else "stopped")
        return f"<ModelServer {self.url} {name} {state} folder={str(self.folder)!r}>"


def _display_path(raw_path: str) -> str:
    return posixpath.normpath("/" + urllib.parse.unquote(raw_path).lstrip("/"))


def _text(status: int, message: str) -> _Response:
    return _Response(status, [("Content-Type", "text/plain; charset=utf-8")],
                     (message + "\n").encode())


def _apply_body_fault(fault: Fault, resp: _Response) -> _Response:
    if fault.kind == "status":
        body = fault.content if fault.content is not None else \
            f"Simulated HTTP {fault.status_code} error.\n".encode()
        r = _Response(fault.status_code, [("Content-Type", fault.content_type)], body)
        r.headers.extend(fault.headers)
        return r
    if fault.kind == "body":
        body = fault.content or b""
        tag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        return _Response(fault.status_code, [("Content-Type", fault.content_type),
                                             ("ETag", tag)], body)
    return resp


def _not_modified(headers, etag: str, mtime: int) -> bool:
    inm = headers.get("If-None-Match")
    if inm is not None:  # takes precedence over If-Modified-Since (RFC 9110 13.2.2)
        if inm.strip() == "*":
            return True
        tags = [t.strip() for t in inm.split(",")]
        return any(t.removeprefix("W/") == etag for t in tags)
    ims = headers.get("If-Modified-Since")
    if ims:
        try:
            since = email.utils.parsedate_to_datetime(ims).timestamp()
        except (TypeError, ValueError, IndexError, OverflowError):
            return False
        return mtime <= since
    return False


def _trickle(h: _Handler, data: bytes, bytes_per_s: float, ex: "_Exchange") -> None:
    """Send ``data`` at ``bytes_per_s``, in pieces of a quarter second (at least one byte)."""
    piece = max(1, int(bytes_per_s * 0.25))
    for i in range(0, len(data), piece):
        _sleep(piece / bytes_per_s, ex.abort)
        chunk = data[i:i + piece]
        if i + piece >= len(data):
            ex.log(len(chunk))
        h.wfile.write(chunk)
        if not ex.logged:
            ex.sent += len(chunk)
    ex.log()


def _reset(h: _Handler) -> None:
    """Abort the TCP connection with a RST (SO_LINGER 0 then close)."""
    try:
        h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        h.connection.close()
    except OSError:
        pass
    raise Aborted


def _sleep(seconds: float, abort: threading.Event) -> None:
    if seconds > 0 and abort.wait(seconds):
        raise Aborted


def _sleep_until(deadline: float, abort: threading.Event) -> None:
    _sleep(deadline - time.monotonic(), abort)


__all__ = ["ModelServer", "RequestRecord"]
