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
import tempfile
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
from ..transport.urls import is_http_url
from .progress import Estimator, RunProgress, Tracker
from .results import ExperimentResults
from .serving import materialized
from .sources import ModelSource, resolve_model_dir

STORAGE_KINDS = ("wx", "memory", "file")
#: the profile name recorded for URL sources, which are loaded over the real network
DIRECT = "direct"

TrialCallback = Callable[[int, int, dict], Any]


def run_experiment(sources: str | os.PathLike | ModelSource | Sequence[str | os.PathLike | ModelSource],
                   profiles: Sequence[Profile | str] | Profile | str = ("4g",), *,
                   storages: Sequence[str] | str = ("wx",), trials: int = 5, seed: int = 0,
                   quantize: str | None = None, on_trial: TrialCallback | None = None,
                   progress: bool = False, workdir: str | os.PathLike | None = None,
                   progress_stream: TextIO | None = None,
                   on_progress: Callable[[RunProgress], Any] | None = None) -> ExperimentResults:
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
    between its loads, when it ends and twice a second meanwhile, with trials done and left and
    the time left that the latency model expects; ``progress=True`` shows the same on stderr
    (redrawn on one line in a terminal, a line per trial otherwise).
    """
    src_list = _as_list(sources)
    prof_list = [_profile(p) for p in _as_list(profiles)]
    kinds = [_storage_kind(s) for s in _as_list(storages)]
    if not src_list:
        raise InvalidArgumentError("run_experiment needs at least one model source (a folder or a URL)")
    if not prof_list:
        raise InvalidArgumentError("run_experiment needs at least one network profile")
    if not kinds:
        raise InvalidArgumentError("run_experiment needs at least one storage kind")
    if int(trials) < 1:
        raise InvalidArgumentError("trials must be at least 1")
    trials = int(trials)
    with contextlib.ExitStack() as stack:
        models = [_model_source(s, stack) for s in src_list]
        plan = _plan(models, prof_list)
        per_plan = len(kinds) * trials
        estimator = Estimator([e for _m, _p, e in plan for _ in range(per_plan)],
                              [m["name"] for m, _p, _e in plan for _ in range(per_plan)])
        tracker = Tracker(estimator, stream=(progress_stream or sys.stderr) if progress else None,
                          on_progress=on_progress)
        try:
            return _run(models, plan, prof_list, kinds, trials, seed, quantize, on_trial, tracker,
                        workdir)
        finally:
            tracker.close()


def _plan(models: list[dict], prof_list: list[Profile]) -> list[tuple[dict, Profile | None, float | None]]:
    """(model, profile, expected cold seconds) in run order; URL sources run once, unthrottled."""
    plan = []
    for model in models:
        if model["folder"] is None:
            plan.append((model, None, None))
        else:
            plan += [(model, p, expected_load_time(model["folder"], p).total_s) for p in prof_list]
    return plan


def _run(models: list[dict], plan: list[tuple[dict, Profile | None, float | None]],
         prof_list: list[Profile], kinds: list[str], trials: int, seed: int, quantize: str | None,
         on_trial: TrialCallback | None, tracker: Tracker,
         workdir: str | os.PathLike | None) -> ExperimentResults:
    total = tracker.total
    results = ExperimentResults(meta={"seed": seed, "trials": trials, "quantize": quantize,
                                      "storages": kinds, "profiles": [_profile_label(p) for p in prof_list],
                                      "profile_info": {_profile_label(p): _profile_figures(p)
                                                       for p in prof_list}})
    if any(m["folder"] is None for m in models):
        results.warnings.append("URL sources are loaded directly over the real network: the "
                                "network profiles cannot be applied to them (profile 'direct').")
    done = 0
    with _workdir(workdir) as wd:
        for model, profile, expected in plan:
            with _served(model, profile) as (url, server):
                for kind in kinds:
                    with _storage(kind, wd) as cache:
                        for trial in range(trials):
                            trial_seed = derive_seed(seed, trial)
                            if server is not None:
                                server.set_profile(profile.with_(seed=trial_seed))
                            ctx = {"model": model["name"], "source_url": url,
                                   "profile": _profile_label(profile), "storage": kind,
                                   "trial": trial, "expected_s": expected,
                                   "jitter_seed": trial_seed if server is not None else None,
                                   "profile_applied": server is not None}
                            tracker.start_trial(model["name"], ctx["profile"], kind)
                            cold, warm = _one_trial(url, model["key"], cache, server,
                                                    quantize, ctx, tracker)
                            results.records += [cold, warm]
                            if not warm["warm_from_cache"]:
                                results.warnings.append(
                                    f"{model['name']} on {ctx['profile']} / {kind}, trial "
                                    f"{trial}: the warm load came from {warm['source']}, not "
                                    f"the cache ({warm['note']}); its time is not a warm time.")
                            done += 1
                            tracker.end_trial(f"cold {human_seconds(cold['total_s'])}, "
                                              f"warm {human_seconds(warm['total_s'])}")
                            if on_trial is not None:
                                on_trial(done, total, {**ctx, "cold": cold, "warm": warm})
    results.normalize()
    return results


def derive_seed(seed: int, trial: int) -> int:
    """The jitter seed of one trial: stable across runs and Python processes."""
    digest = hashlib.sha256(f"tfcache_nb/{int(seed)}/{int(trial)}".encode()).digest()
    return int.from_bytes(digest[:4], "big")


def _one_trial(url: str, key: str, cache: Any, server: ModelServer | None, quantize: str | None,
               ctx: dict, tracker: Tracker) -> tuple[dict, dict]:
    _entry(cache, key).remove()  # so the cold load really comes over the network
    if server is not None:
        server.reset_log()
    _, cold_report = _load(url, cache, key, quantize)
    server_log = server.request_log if server is not None else []
    cold = _record(ctx, "cold", cold_report)
    cold["server_requests"] = len(server_log) if server is not None else None
    cold["server_rtt_total_s"] = sum(r.rtt_s for r in server_log) if server is not None else None
    if not cold_report.saved:
        _add_note(cold, f"not saved to the cache: {cold_report.save_error or 'unknown reason'}")
    if cold_report.source != "network":
        _add_note(cold, f"the cold load came from {cold_report.source}, not the network")

    tracker.phase("warm")
    if server is not None:
        server.reset_log()
    _, warm_report = _load(url, cache, key, quantize)
    warm = _record(ctx, "warm", warm_report)
    warm["server_requests"] = len(server.request_log) if server is not None else None
    warm["server_rtt_total_s"] = 0.0 if server is not None else None
    if not warm["warm_from_cache"]:
        _add_note(warm, "NOT WARM: " + (warm_report.cache_miss_reason or cold_report.save_error
                                        or "the model was not in the cache"))
    return cold, warm


def _load(url: str, cache: Any, key: str, quantize: str | None):
    return load_artifacts(url, cache=cache, cache_key=key, quantize=quantize)


def _add_note(rec: dict, note: str) -> None:
    rec["note"] = f"{rec['note']}; {note}" if rec["note"] else note


def _record(ctx: dict, kind: str, report: Any) -> dict:
    rec = {k: ctx[k] for k in ("model", "source_url", "profile", "storage", "trial")}
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
    if kind not in STORAGE_KINDS:
        raise InvalidArgumentError(f"unknown storage kind {kind!r}; choose one of {', '.join(STORAGE_KINDS)}")
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
def _storage(kind: str, workdir: Path) -> Iterator[Any]:
    if kind == "file":
        folder = workdir / "file_storage"
        folder.mkdir(parents=True, exist_ok=True)
        yield folder
        return
    path = ":memory:" if kind == "memory" else workdir / "experiment.sqlite3"
    store = WxStorage(path, app_id="tfcache-nb-experiment", user_id="bench")
    try:
        yield store
    finally:
        store.close()


def _entry(cache: Any, key: str) -> Any:
    return file_storage_io(cache, key) if isinstance(cache, Path) else local_storage_io(cache, key)


__all__ = ["run_experiment", "derive_seed", "STORAGE_KINDS"]
