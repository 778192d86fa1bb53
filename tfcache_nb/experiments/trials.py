"""One simulated user's trial: a cold load (over the network, then saved) and a warm load
(from the cache), with the records of both.

:class:`SimulatedUsers` lends each trial a user (their own storage, their own
:class:`~tfcache_nb.netsim.server.ModelServer` paced by the trial's seeded profile). The
runner (:mod:`.runner`) plans the trials and runs them in threads or, through
:mod:`.user_processes`, in worker processes, which import only this module.
"""

from __future__ import annotations

import contextlib
import dataclasses
import queue
import threading
from pathlib import Path
from typing import Any, Iterator

from ..cache.loader import load_artifacts
from ..errors import TfcacheError
from ..io.file_storage_io import file_storage_io
from ..io.local_storage_io import local_storage_io
from ..netsim.profiles import Profile
from ..netsim.server import ModelServer
from ..storage.wx_storage import WxStorage
from ..transport.deadline import deadline_for
from .clients import BROWSER_CLIENT, TOOLKIT_CLIENT
from .progress import Tracker
from .serving import serve

#: the profile name recorded for URL sources, which are loaded over the real network
DIRECT = "direct"


@dataclasses.dataclass
class TrialJob:
    """One trial: a simulated user loading one model cold then warm on one profile and storage.

    ``model``: ``{"source": ModelSource, "name", "folder" (its files, None for a URL), "url",
    "key"}``; ``expected``: the latency model's cold load time (None for a URL)."""

    index: int
    model: dict
    profile: Profile | None
    expected: float | None
    kind: str
    trial: int
    seed: int
    client: str = TOOLKIT_CLIENT


class SimulatedUsers:
    """The simulated users of a run: each trial borrows one, with its own storage and server.

    User ``k`` keeps its storage in ``workdir`` (``experiment.sqlite3`` for the first,
    ``experiment-user{k+1}.sqlite3`` for the others; ``file_storage[-user{k+1}]`` folders),
    and gets a fresh :class:`ModelServer` per trial, paced by the trial's seeded profile.
    """

    def __init__(self, workdir: Path, count: int, browser: Any = None,
                 deadline: float | None = None, first: int = 0) -> None:
        self.workdir = workdir
        self.browser = browser
        self.deadline = deadline
        self.free: queue.SimpleQueue[int] = queue.SimpleQueue()
        for k in range(first, first + count):
            self.free.put(k)
        self.servers: set[ModelServer] = set()
        self.lock = threading.Lock()
        self.stopping = False

    def run(self, job: TrialJob, quantize: str | None, tracker: Tracker) -> tuple[dict, dict, dict]:
        user = self.free.get()
        try:
            profile = job.profile and job.profile.with_(seed=job.seed)
            with serve(job.model["source"], profile, folder=job.model["folder"]) as served:
                url, server = served.url, served.server
                with self.lock:
                    if self.stopping:
                        raise TfcacheError("the experiment was stopped")
                    if server is not None:
                        self.servers.add(server)
                try:
                    ctx = {"model": job.model["name"], "source_url": url,
                           "profile": profile_label(job.profile), "client": job.client,
                           "storage": job.kind, "trial": job.trial, "expected_s": job.expected,
                           "jitter_seed": job.seed if server is not None else None,
                           "profile_applied": served.profile_applied, "user": user}
                    if job.client == BROWSER_CLIENT:
                        return (ctx, *_browser_trial(self.browser, url, job, server, ctx, tracker,
                                                     self.deadline_of(job)))
                    with _storage(job.kind, self.workdir, user) as cache:
                        tracker.start_trial(ctx["model"], ctx["profile"], job.kind, index=job.index)
                        cold, warm = _one_trial(url, served.cache_key, cache, server, quantize, ctx,
                                                tracker, job.index, self.deadline_of(job))
                        return ctx, cold, warm
                finally:
                    with self.lock:
                        self.servers.discard(server)
        finally:
            self.free.put(user)

    def deadline_of(self, job: TrialJob) -> float:
        return float(self.deadline) if self.deadline is not None else deadline_for(job.expected)

    def stop_all(self) -> None:
        with self.lock:
            self.stopping = True
            servers = list(self.servers)
        for server in servers:
            server.stop()


def _one_trial(url: str, key: str, cache: Any, server: ModelServer | None, quantize: str | None,
               ctx: dict, tracker: Tracker, index: int, deadline: float) -> tuple[dict, dict]:
    _entry(cache, key).remove()  # so the cold load really comes over the network
    if server is not None:
        server.reset_log()
    _, cold_report = _load(url, cache, key, quantize, deadline)
    cold_log = server.request_log if server is not None else None

    tracker.phase("warm", index)
    if server is not None:
        server.reset_log()
    _, warm_report = _load(url, cache, key, quantize, deadline)
    warm_log = server.request_log if server is not None else None
    return _trial_records(ctx, cold_report, cold_log, warm_report, warm_log)


def _browser_trial(browser: Any, url: str, job: TrialJob, server: ModelServer | None, ctx: dict,
                   tracker: Tracker, deadline: float) -> tuple[dict, dict]:
    """One simulated user of the real TensorFlow.js in Chromium (clients/tfjs_chromium.py)."""
    from .clients.tfjs_chromium import is_graph_model

    trial = browser.user_trial(url, job.model["key"], job.kind, graph=is_graph_model(job.model["folder"]),
                               server=server, before_warm=lambda: tracker.phase("warm", job.index),
                               before_cold=lambda: tracker.start_trial(  # once the browser is ours
                                   ctx["model"], ctx["profile"], job.kind, index=job.index),
                               deadline_s=deadline)
    return _trial_records(ctx, trial.cold, trial.cold_requests if server is not None else None,
                          trial.warm, trial.warm_requests if server is not None else None)


def _trial_records(ctx: dict, cold_report: Any, cold_log: list | None, warm_report: Any,
                   warm_log: list | None) -> tuple[dict, dict]:
    """The cold and warm records of a trial, with what the server saw (None: no server)."""
    cold = _record(ctx, "cold", cold_report)
    cold["server_requests"] = len(cold_log) if cold_log is not None else None
    cold["server_rtt_total_s"] = sum(r.rtt_s for r in cold_log) if cold_log is not None else None
    if not cold_report.saved:
        _add_note(cold, f"not saved to the cache: {cold_report.save_error or 'unknown reason'}")
    if cold_report.source != "network":
        _add_note(cold, f"the cold load came from {cold_report.source}, not the network")
    warm = _record(ctx, "warm", warm_report)
    warm["server_requests"] = len(warm_log) if warm_log is not None else None
    warm["server_rtt_total_s"] = sum(r.rtt_s for r in warm_log) if warm_log is not None else None
    if not warm["warm_from_cache"]:
        _add_note(warm, "NOT WARM: " + (warm_report.cache_miss_reason or cold_report.save_error
                                        or "the model was not in the cache"))
    return cold, warm


def _load(url: str, cache: Any, key: str, quantize: str | None, deadline: float):
    return load_artifacts(url, cache=cache, cache_key=key, quantize=quantize, deadline=deadline)


def _add_note(rec: dict, note: str) -> None:
    rec["note"] = f"{rec['note']}; {note}" if rec["note"] else note


def _record(ctx: dict, kind: str, report: Any) -> dict:
    rec = {k: ctx[k] for k in ("model", "source_url", "profile", "client", "storage", "trial", "user")}
    rec.update(kind=kind, total_s=float(report.total_s))
    for name, seconds in report.phases.items():
        rec[f"phase_{name}_s"] = float(seconds)
    rec.update(bytes_network=int(report.bytes_network), bytes_storage=int(report.bytes_storage),
               requests=int(report.requests), source=report.source,
               expected_s=ctx["expected_s"] if kind == "cold" else None,
               saved=bool(report.saved), quantization=report.quantization,
               warm_from_cache=(report.source == "cache") if kind == "warm" else None,
               jitter_seed=ctx["jitter_seed"], profile_applied=ctx["profile_applied"],
               note="" if ctx["profile_applied"] else
               "URL source loaded directly: no network profile applied")
    network = rec.get("phase_network_s")
    expected = rec["expected_s"]
    rec["network_over_expected"] = (network / expected if kind == "cold" and network is not None
                                    and expected else None)
    return rec


def profile_label(profile: Profile | None) -> str:
    """How records and tables name a profile (``direct`` for a URL loaded over the real network)."""
    if profile is None:
        return DIRECT
    return profile.name or f"custom {profile.rtt_ms:g} ms / {profile.down_kbps:g} kbit/s"


@contextlib.contextmanager
def _storage(kind: str, workdir: Path, user: int = 0) -> Iterator[Any]:
    suffix = f"-user{user + 1}" if user else ""
    if kind == "file":
        folder = workdir / f"file_storage{suffix}"
        folder.mkdir(parents=True, exist_ok=True)
        yield folder
        return
    path = ":memory:" if kind == "memory" else workdir / f"experiment{suffix}.sqlite3"
    store = WxStorage(path, app_id="tfcache-nb-experiment", user_id="bench")
    try:
        yield store
    finally:
        store.close()


def _entry(cache: Any, key: str) -> Any:
    return file_storage_io(cache, key) if isinstance(cache, Path) else local_storage_io(cache, key)


__all__ = ["TrialJob", "SimulatedUsers", "profile_label", "DIRECT"]
