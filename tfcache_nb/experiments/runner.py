"""Cold-network against warm-cache load timing, over simulated networks, reproducibly.

For every (model source, network profile, storage) and every trial, :func:`run_experiment`
removes the model from the cache, loads it cold (over the network, saving it), then loads it
warm (from the cache) and records both load reports. Model folders are served by a
:class:`~tfcache_nb.netsim.server.ModelServer` paced by the profile, its jitter seeded from
``seed`` and the trial, so a rerun with the same seed waits the same round trips.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import os
import queue
import sys
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence, TextIO

from .._html import human_seconds
from ..cache.loader import load_artifacts
from ..errors import InvalidArgumentError, TfcacheError
from ..io.file_storage_io import file_storage_io
from ..io.local_storage_io import local_storage_io
from ..netsim.latency_model import expected_load_time
from ..netsim.profiles import Profile
from ..netsim.server import ModelServer
from ..storage.wx_storage import WxStorage
from ..transport.deadline import deadline_for
from ..transport.urls import is_http_url
from .clients import BROWSER_CLIENT, CLIENTS, TOOLKIT_CLIENT
from .progress import Estimator, RunProgress, Tracker
from .results import ExperimentResults
from .serving import materialized
from .sources import ModelSource, resolve_model_dir
from .user_processes import UserProcesses

STORAGE_KINDS = ("wx", "memory", "file")
#: TensorFlow.js's own caches, for the tfjs-chromium client
BROWSER_STORAGES = ("indexeddb", "localstorage")
#: the profile name recorded for URL sources, which are loaded over the real network
DIRECT = "direct"

TrialCallback = Callable[[int, int, dict], Any]


def run_experiment(sources: str | os.PathLike | ModelSource | Sequence[str | os.PathLike | ModelSource],
                   profiles: Sequence[Profile | str] | Profile | str = ("4g",), *,
                   storages: Sequence[str] | str = ("wx",), trials: int = 5, seed: int = 0,
                   quantize: str | None = None, on_trial: TrialCallback | None = None,
                   progress: bool = False, workdir: str | os.PathLike | None = None,
                   progress_stream: TextIO | None = None,
                   on_progress: Callable[[RunProgress], Any] | None = None,
                   concurrency: int = 1, deadline: float | None = None,
                   clients: Sequence[str] | str = (TOOLKIT_CLIENT,)) -> ExperimentResults:
    """Time ``trials`` cold loads (network, then saved) against warm loads (cache).

    ``sources``: model folders (served locally, throttled by each profile), http(s) URLs
    (loaded directly: no profile can be applied, so they run once under profile ``"direct"``)
    or :class:`~tfcache_nb.experiments.sources.ModelSource` objects (the synthetic MobileNet
    included). Cache keys come from the folder or URL, never from the server's port.
    ``profiles``: preset names or :class:`Profile` objects. ``storages``: ``"wx"`` (a
    WxStorage SQLite file in ``workdir``), ``"memory"`` (``WxStorage(":memory:")``),
    ``"file"`` (the plugin's file storage, a folder in ``workdir``). ``on_trial(done, total,
    trial)`` is called after each trial (``done`` counts from 1; ``trial`` holds the
    ``cold`` and ``warm`` records). ``on_progress(RunProgress)`` is called when a trial starts,
    between its loads, when it ends and twice a second meanwhile, with trials done, running
    and left and the time left that the latency model expects; ``progress=True`` shows the
    same on stderr (redrawn on one line in a terminal, a line per trial otherwise).

    ``concurrency``: how many trials run at once. Each trial is an independent simulated user
    with its own :class:`ModelServer` (its own link, connection slots and jitter, so one
    user's bytes never slow another's) and its own storage, so a sweep takes about as long as
    its slowest trials rather than their sum. With ``concurrency`` > 1 each toolkit user runs
    in a worker process of its own (:mod:`~tfcache_nb.experiments.user_processes`: users in
    one interpreter queue for it), the first ones a quarter of a second apart, the longest
    first. Records come back in run order whatever the order trials finish in. The CPU-bound
    phases (saving, reading SQLite) share the machine's cores and take longer than alone; the
    network phases stay close to the latency model while the cores keep up (see the README).
    Every load has a deadline, so no trial hangs on a stuck server: ``deadline`` seconds, or
    by default :func:`~tfcache_nb.transport.deadline.deadline_for` of what the latency model
    expects for it (3x plus 30 s; 300 s for a URL).

    ``clients``: who loads the model. ``"tfcache_nb"`` (this package's ``load_artifacts``)
    uses the toolkit storages named in ``storages`` (default ``wx``); ``"tfjs-chromium"`` (the
    real TensorFlow.js 4.22.0 in headless Chromium, the ``[browser]`` extra: see
    :mod:`~tfcache_nb.experiments.clients.tfjs_chromium`) runs the same trials against the same
    servers and profiles, saving to and loading from TensorFlow.js's own ``"indexeddb"`` or
    ``"localstorage"`` named in ``storages`` (default ``indexeddb``). Records carry ``client``.
    Browser trials run one at a time whatever ``concurrency`` (one Chromium renders them).
    """
    src_list = _as_list(sources)
    prof_list = [_profile(p) for p in _as_list(profiles)]
    kinds = [_storage_kind(s) for s in _as_list(storages)]
    client_list = _clients(clients, kinds)
    if not src_list:
        raise InvalidArgumentError("run_experiment needs at least one model source (a folder or a URL)")
    if not prof_list:
        raise InvalidArgumentError("run_experiment needs at least one network profile")
    if not kinds:
        raise InvalidArgumentError("run_experiment needs at least one storage kind")
    if int(trials) < 1:
        raise InvalidArgumentError("trials must be at least 1")
    if isinstance(concurrency, bool) or int(concurrency) < 1:
        raise InvalidArgumentError("concurrency must be at least 1")
    if deadline is not None and (isinstance(deadline, bool) or not deadline > 0):
        raise InvalidArgumentError("deadline must be a positive number of seconds, or None for the default")
    trials = int(trials)
    with contextlib.ExitStack() as stack:
        models = [_model_source(s, stack) for s in src_list]
        jobs = _jobs(models, prof_list, client_list, trials, seed)
        browser = _browser(jobs, stack)
        workers = min(int(concurrency), len(jobs))
        estimator = Estimator([j.expected for j in jobs], [j.model["name"] for j in jobs],
                              workers=workers)
        tracker = Tracker(estimator, stream=(progress_stream or sys.stderr) if progress else None,
                          on_progress=on_progress)
        try:
            return _run(jobs, prof_list, kinds, trials, seed, quantize, on_trial, tracker,
                        workdir, workers, browser, deadline)
        finally:
            tracker.close()


@dataclasses.dataclass
class _Job:
    """One trial: a simulated user loading one model cold then warm on one profile and storage."""

    index: int
    model: dict
    profile: Profile | None
    expected: float | None
    kind: str
    trial: int
    seed: int
    client: str = TOOLKIT_CLIENT


def _jobs(models: list[dict], prof_list: list[Profile], clients: list[tuple[str, list[str]]],
          trials: int, seed: int) -> list[_Job]:
    """Every trial in run order; URL sources run once per storage and trial, unthrottled."""
    plan: list[tuple[dict, Profile | None, float | None]] = []
    for model in models:
        if model["folder"] is None:
            plan.append((model, None, None))
        else:
            plan += [(model, p, expected_load_time(model["folder"], p).total_s) for p in prof_list]
    jobs = []
    for model, profile, expected in plan:
        for client, kinds in clients:
            if client == BROWSER_CLIENT and model["folder"] is None:
                raise InvalidArgumentError(f"the {BROWSER_CLIENT} client loads local model folders only "
                                 f"(its page reaches nothing beyond 127.0.0.1), not {model['url']}")
            for kind in kinds:
                for trial in range(trials):
                    jobs.append(_Job(len(jobs), model, profile, expected, kind, trial,
                                     derive_seed(seed, trial), client))
    return jobs


def _clients(clients: Sequence[str] | str, kinds: list[str]) -> list[tuple[str, list[str]]]:
    """Each client with the storage kinds it runs (its own among ``kinds``, else its default)."""
    names = [clients] if isinstance(clients, str) else list(clients)
    if not names:
        raise InvalidArgumentError("run_experiment needs at least one client")
    for name in names:
        if name not in CLIENTS:
            raise InvalidArgumentError(f"unknown client {name!r}; choose among {', '.join(CLIENTS)}")
    out = []
    for name in dict.fromkeys(names):
        own = BROWSER_STORAGES if name == BROWSER_CLIENT else STORAGE_KINDS
        out.append((name, [k for k in kinds if k in own] or [own[0]]))
    if BROWSER_CLIENT not in names and any(k in BROWSER_STORAGES for k in kinds):
        browser_kinds = ", ".join(k for k in kinds if k in BROWSER_STORAGES)
        raise InvalidArgumentError(f"storages {browser_kinds} belong to the {BROWSER_CLIENT} client: "
                                   f"ask for it too (clients=[..., '{BROWSER_CLIENT}'], or bench "
                                   f"--client {BROWSER_CLIENT})")
    return out


def _browser(jobs: list[_Job], stack: contextlib.ExitStack) -> Any:
    """The running Chromium when a job needs it (started once for the whole run), else None."""
    if not any(j.client == BROWSER_CLIENT for j in jobs):
        return None
    from .clients.tfjs_chromium import TfjsChromium

    return stack.enter_context(TfjsChromium())


def _run(jobs: list[_Job], prof_list: list[Profile], kinds: list[str], trials: int, seed: int,
         quantize: str | None, on_trial: TrialCallback | None, tracker: Tracker,
         workdir: str | os.PathLike | None, workers: int, browser: Any = None,
         deadline: float | None = None) -> ExperimentResults:
    total = tracker.total
    results = ExperimentResults(meta={"seed": seed, "trials": trials, "quantize": quantize,
                                      "storages": kinds, "profiles": [_profile_label(p) for p in prof_list],
                                      "profile_info": {_profile_label(p): _profile_figures(p)
                                                       for p in prof_list},
                                      "concurrency": workers,
                                      "clients": list(dict.fromkeys(j.client for j in jobs))})
    if browser is not None:
        results.meta["tfjs"] = f"@tensorflow/tfjs {browser.tfjs_version} ({browser.backend} backend)"
    if any(j.model["folder"] is None for j in jobs):
        results.warnings.append("URL sources are loaded directly over the real network: the "
                                "network profiles cannot be applied to them (profile 'direct').")
    finished: dict[int, tuple[dict, dict]] = {}
    with _workdir(workdir) as wd:
        users = _Users(wd, workers, browser, deadline)
        if workers == 1:  # in this thread: a notebook's Ctrl-C stops it where it is
            for job in jobs:
                finished[job.index] = _finish(job, users.run(job, quantize, tracker), tracker,
                                              on_trial, len(finished) + 1, total)
        else:  # the toolkit's users in processes of their own (see user_processes), others in threads
            procs = (UserProcesses(wd, workers, deadline, tracker)
                     if any(j.client == TOOLKIT_CLIENT for j in jobs) else None)
            pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="tfcache-user")
            in_procs = [j for j in jobs if procs is not None and j.client == TOOLKIT_CLIENT]
            futures = {f: (j, True) for f, j in zip(procs.submit_all(in_procs, quantize) if in_procs
                                                    else [], in_procs)}
            futures.update({pool.submit(users.run, j, quantize, tracker): (j, False)
                            for j in jobs if j not in in_procs})
            aborted = False
            try:
                for future in as_completed(futures):
                    job, in_process = futures[future]
                    loads = future.result()
                    if in_process:
                        procs.relayed(job.index)
                    finished[job.index] = _finish(job, loads, tracker, on_trial,
                                                  len(finished) + 1, total)
            except BaseException:
                aborted = True
                users.stop_all()  # the trials still running fail fast instead of finishing
                raise
            finally:
                pool.shutdown(wait=True, cancel_futures=True)
                if procs is not None:
                    procs.close(abort=aborted)
    for job in jobs:
        cold, warm = finished[job.index]
        results.records += [cold, warm]
        if not warm["warm_from_cache"]:
            results.warnings.append(
                f"{job.model['name']} on {cold['profile']} / {job.kind}, trial {job.trial}: the "
                f"warm load came from {warm['source']}, not the cache ({warm['note']}); its time "
                f"is not a warm time.")
    results.normalize()
    return results


def _finish(job: _Job, loads: tuple[dict, dict, dict], tracker: Tracker,
            on_trial: TrialCallback | None, done: int, total: int) -> tuple[dict, dict]:
    ctx, cold, warm = loads
    tracker.end_trial(f"cold {human_seconds(cold['total_s'])}, warm {human_seconds(warm['total_s'])}",
                      index=job.index)
    if on_trial is not None:
        on_trial(done, total, {**ctx, "cold": cold, "warm": warm})
    return cold, warm


class _Users:
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

    def run(self, job: _Job, quantize: str | None, tracker: Tracker) -> tuple[dict, dict, dict]:
        user = self.free.get()
        try:
            with _served(job.model, job.profile and job.profile.with_(seed=job.seed)) as (url, server):
                with self.lock:
                    if self.stopping:
                        raise TfcacheError("the experiment was stopped")
                    if server is not None:
                        self.servers.add(server)
                try:
                    ctx = {"model": job.model["name"], "source_url": url,
                           "profile": _profile_label(job.profile), "client": job.client,
                           "storage": job.kind, "trial": job.trial, "expected_s": job.expected,
                           "jitter_seed": job.seed if server is not None else None,
                           "profile_applied": server is not None, "user": user}
                    if job.client == BROWSER_CLIENT:
                        return (ctx, *_browser_trial(self.browser, url, job, server, ctx, tracker,
                                                     self.deadline_of(job)))
                    with _storage(job.kind, self.workdir, user) as cache:
                        tracker.start_trial(ctx["model"], ctx["profile"], job.kind, index=job.index)
                        cold, warm = _one_trial(url, job.model["key"], cache, server, quantize, ctx,
                                                tracker, job.index, self.deadline_of(job))
                        return ctx, cold, warm
                finally:
                    with self.lock:
                        self.servers.discard(server)
        finally:
            self.free.put(user)

    def deadline_of(self, job: _Job) -> float:
        return float(self.deadline) if self.deadline is not None else deadline_for(job.expected)

    def stop_all(self) -> None:
        with self.lock:
            self.stopping = True
            servers = list(self.servers)
        for server in servers:
            server.stop()


def derive_seed(seed: int, trial: int) -> int:
    """The jitter seed of one trial: stable across runs and Python processes."""
    digest = hashlib.sha256(f"tfcache_nb/{int(seed)}/{int(trial)}".encode()).digest()
    return int.from_bytes(digest[:4], "big")


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


def _browser_trial(browser: Any, url: str, job: _Job, server: ModelServer | None, ctx: dict,
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


# -- sources, profiles, storages ---------------------------------------------------------------
def _as_list(value: Any) -> list:
    if isinstance(value, (str, os.PathLike, Profile, ModelSource)):
        return [value]
    return list(value)


def _profile(p: Profile | str) -> Profile:
    if isinstance(p, Profile):
        return p
    if isinstance(p, str):
        return Profile.from_name(p)
    raise InvalidArgumentError(f"a profile must be a preset name or a tfcache_nb.Profile, not {type(p).__name__}")


def _profile_label(profile: Profile | None) -> str:
    if profile is None:
        return DIRECT
    return profile.name or f"custom {profile.rtt_ms:g} ms / {profile.down_kbps:g} kbit/s"


def _profile_figures(profile: Profile) -> str:
    rate = (f"{profile.down_kbps / 1000:g} Mbit/s" if profile.down_kbps >= 1000
            else f"{profile.down_kbps:g} kbit/s")
    return f"{profile.rtt_ms:g} ms RTT, {rate}"


def _storage_kind(kind: str) -> str:
    if kind not in STORAGE_KINDS + BROWSER_STORAGES:
        raise InvalidArgumentError(f"unknown storage kind {kind!r}; choose one of "
                                   f"{', '.join(STORAGE_KINDS + BROWSER_STORAGES)}")
    return kind


def _model_source(src: str | os.PathLike | ModelSource, stack: contextlib.ExitStack) -> dict:
    """``{"name", "folder" (None for URLs), "url" (None for folders), "key"}``."""
    if not isinstance(src, ModelSource):
        text = os.fspath(src)
        if is_http_url(text):
            src = ModelSource.from_url(text)
        elif "://" in text:
            raise InvalidArgumentError(f"model source {text!r}: use a local folder or an http(s) URL")
        else:
            try:
                src = ModelSource.from_folder(resolve_model_dir(text))
            except TfcacheError:
                raise InvalidArgumentError(f"model source {text!r}: there is no model.json in "
                                 f"{Path(text).expanduser()}") from None
    folder = stack.enter_context(materialized(src))
    return {"name": src.name, "folder": folder, "url": src.url, "key": src.cache_key}


@contextlib.contextmanager
def _served(model: dict, profile: Profile | None) -> Iterator[tuple[str, ModelServer | None]]:
    if model["folder"] is None:
        yield model["url"], None
        return
    with ModelServer(model["folder"], profile=profile) as server:
        yield server.url + "/model.json", server


@contextlib.contextmanager
def _workdir(workdir: str | os.PathLike | None) -> Iterator[Path]:
    if workdir is not None:
        path = Path(workdir)
        path.mkdir(parents=True, exist_ok=True)
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="tfcache_nb_experiment_") as tmp:
        yield Path(tmp)


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


__all__ = ["run_experiment", "derive_seed", "STORAGE_KINDS", "BROWSER_STORAGES"]
