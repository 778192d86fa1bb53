"""Cold-network against warm-cache load timing, over simulated networks, reproducibly.

For every (model source, network profile, storage) and every trial, :func:`run_experiment`
removes the model from the cache, loads it cold (over the network, saving it), then loads it
warm (from the cache) and records both load reports. Model folders are served by a
:class:`~tfcache_nb.netsim.server.ModelServer` paced by the profile, its jitter seeded from
``seed`` and the trial, so a rerun with the same seed waits the same round trips.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sys
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Any, Callable, Sequence, TextIO

from .._html import human_seconds
from ..errors import InvalidArgumentError, TfcacheError
from ..netsim.latency_model import expected_load_time
from ..netsim.profiles import Profile
from ..transport.urls import is_http_url
from .clients import BROWSER_CLIENT, CLIENTS, TOOLKIT_CLIENT
from .progress import Estimator, RunProgress, Tracker
from .results import ExperimentResults
from .run_folders import work_folder
from .serving import materialized
from .sources import ModelSource, resolve_model_dir
from .trials import SimulatedUsers, TrialJob, profile_label
from .user_processes import UserProcesses

STORAGE_KINDS = ("wx", "memory", "file")
#: TensorFlow.js's own caches, for the tfjs-chromium client
BROWSER_STORAGES = ("indexeddb", "localstorage")
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
    client_list = client_storages(clients, kinds)
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
            return _run(jobs, prof_list, client_list, trials, seed, quantize, on_trial, tracker,
                        workdir, workers, browser, deadline)
        finally:
            tracker.close()


def _jobs(models: list[dict], prof_list: list[Profile], clients: dict[str, list[str]],
          trials: int, seed: int) -> list[TrialJob]:
    """Every trial in run order; URL sources run once per storage and trial, unthrottled."""
    plan: list[tuple[dict, Profile | None, float | None]] = []
    for model in models:
        if model["folder"] is None:
            plan.append((model, None, None))
        else:
            plan += [(model, p, expected_load_time(model["folder"], p).total_s) for p in prof_list]
    jobs = []
    for model, profile, expected in plan:
        for client, kinds in clients.items():
            if client == BROWSER_CLIENT and model["folder"] is None:
                raise InvalidArgumentError(f"the {BROWSER_CLIENT} client loads local model folders only "
                                 f"(its page reaches nothing beyond 127.0.0.1), not {model['url']}")
            for kind in kinds:
                for trial in range(trials):
                    jobs.append(TrialJob(len(jobs), model, profile, expected, kind, trial,
                                         derive_seed(seed, trial), client))
    return jobs


def client_storages(clients: Sequence[str] | str, storages: Sequence[str] | str) -> dict[str, list[str]]:
    """The storages each client really uses: its own among ``storages``, else its default
    (``wx`` for the toolkit, ``indexeddb`` for TensorFlow.js in Chromium, which cannot use
    the toolkit's storages), so records and settings name what each client used."""
    kinds = [_storage_kind(s) for s in _as_list(storages)]
    names = [clients] if isinstance(clients, str) else list(clients)
    if not names:
        raise InvalidArgumentError("run_experiment needs at least one client")
    for name in names:
        if name not in CLIENTS:
            raise InvalidArgumentError(f"unknown client {name!r}; choose among {', '.join(CLIENTS)}")
    out = {}
    for name in dict.fromkeys(names):
        own = BROWSER_STORAGES if name == BROWSER_CLIENT else STORAGE_KINDS
        out[name] = [k for k in kinds if k in own] or [own[0]]
    if BROWSER_CLIENT not in names and any(k in BROWSER_STORAGES for k in kinds):
        browser_kinds = ", ".join(k for k in kinds if k in BROWSER_STORAGES)
        raise InvalidArgumentError(f"storages {browser_kinds} belong to the {BROWSER_CLIENT} client: "
                                   f"ask for it too (clients=[..., '{BROWSER_CLIENT}'], or bench "
                                   f"--client {BROWSER_CLIENT})")
    return out


def _browser(jobs: list[TrialJob], stack: contextlib.ExitStack) -> Any:
    """The running Chromium when a job needs it (started once for the whole run), else None."""
    if not any(j.client == BROWSER_CLIENT for j in jobs):
        return None
    from .clients.tfjs_chromium import TfjsChromium

    return stack.enter_context(TfjsChromium())


def _run(jobs: list[TrialJob], prof_list: list[Profile], clients: dict[str, list[str]], trials: int, seed: int,
         quantize: str | None, on_trial: TrialCallback | None, tracker: Tracker,
         workdir: str | os.PathLike | None, workers: int, browser: Any = None,
         deadline: float | None = None) -> ExperimentResults:
    total = tracker.total
    results = ExperimentResults(meta={"seed": seed, "trials": trials, "quantize": quantize,
                                      "storages": list(dict.fromkeys(k for ks in clients.values() for k in ks)),
                                      "client_storages": {c: list(ks) for c, ks in clients.items()},
                                      "profiles": [profile_label(p) for p in prof_list],
                                      "profile_info": {profile_label(p): _profile_figures(p)
                                                       for p in prof_list},
                                      "concurrency": workers,
                                      "clients": list(dict.fromkeys(j.client for j in jobs))})
    if browser is not None:
        results.meta["tfjs"] = f"@tensorflow/tfjs {browser.tfjs_version} ({browser.backend} backend)"
    if any(j.model["folder"] is None for j in jobs):
        results.warnings.append("URL sources are loaded directly over the real network: the "
                                "network profiles cannot be applied to them (profile 'direct').")
    finished: dict[int, tuple[dict, dict]] = {}
    with work_folder(workdir, "tfcache_nb_experiment_") as wd:
        users = SimulatedUsers(wd, workers, browser, deadline)
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


def _finish(job: TrialJob, loads: tuple[dict, dict, dict], tracker: Tracker,
            on_trial: TrialCallback | None, done: int, total: int) -> tuple[dict, dict]:
    ctx, cold, warm = loads
    tracker.end_trial(f"cold {human_seconds(cold['total_s'])}, warm {human_seconds(warm['total_s'])}",
                      index=job.index)
    if on_trial is not None:
        on_trial(done, total, {**ctx, "cold": cold, "warm": warm})
    return cold, warm


def derive_seed(seed: int, trial: int) -> int:
    """The jitter seed of one trial: stable across runs and Python processes."""
    digest = hashlib.sha256(f"tfcache_nb/{int(seed)}/{int(trial)}".encode()).digest()
    return int.from_bytes(digest[:4], "big")


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
    """``{"source", "name", "folder" (None for URLs), "url" (None for folders), "key"}``."""
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
    return {"source": src, "name": src.name, "folder": folder, "url": src.url, "key": src.cache_key}


__all__ = ["run_experiment", "client_storages", "derive_seed", "STORAGE_KINDS", "BROWSER_STORAGES"]
