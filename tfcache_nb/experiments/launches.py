"""A series of launches while the model changes on the server, one cache strategy against another.

What users of a mini-program live with is not one cold and one warm load but many launches,
hours apart, while the developer publishes new versions of the model. :func:`run_launches`
replays that for real: a :class:`ModelServer` serves the model (paced by a network profile),
a :class:`ModelPublisher` publishes a new version (one weight byte changed, a new model.json:
new ETag and Last-Modified) before the given launches, and every launch is a real
:func:`load_artifacts` into a WeChat-style storage with the strategy under test. The hours
between launches are simulated: the loader's clock is injected, nothing waits.

Each launch records whether the model it got was stale (its weights are not the server's
current version, by SHA-256), the bytes over the network and the launch time.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import hashlib
import json
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any, Callable, Sequence

from .._console import LiveLine
from .._units import human_bytes
from ..cache.loader import load_artifacts
from ..cache.strategy import Strategy, as_strategy
from ..errors import InvalidArgumentError
from ..netsim.profiles import Profile
from ..netsim.server import ModelServer
from ..cache.policy import entry_size as storage_entry_size
from ..storage.base import KeyValueStorage
from ..storage.wx_storage import WxStorage
from .runner import derive_seed
from .run_folders import model_folder, work_folder
from .sources import ModelSource
from .text_table import ShownAsTable, TextTable

#: the strategies compared when none are given: the plugin's, revalidating every launch or at
#: most once a day, versioned keys, and no cache at all
DEFAULT_STRATEGIES = ("cacheFirst", "latest", Strategy("latest", max_age=24 * 3600.0), "versioned",
                      "networkOnly")
#: WeChat downloads a new code package in the background at a cold start and applies it at the
#: next one, so an app that names its model version in its code learns of it one launch late
DEFAULT_VERSION_LAG = 1
START_TIME = 1_700_000_000.0


class SimClock:
    """Seconds since the epoch that move only when told: hours pass without waiting."""

    def __init__(self, start: float = START_TIME) -> None:
        self.now = float(start)

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += float(seconds)


class ModelPublisher:
    """A served folder where the developer publishes new versions of a model.

    ``current/`` always holds the latest version (what an unversioned URL serves); ``v<n>/``
    holds version ``n`` for good (what a versioned URL serves). A new version changes one
    weight byte and writes a new model.json (its ``userDefinedMetadata`` names the version),
    so the server's ETag and Last-Modified change as a real deployment's would. Unchanged
    shards are hard links, so a version costs one shard and one model.json of disk.
    """

    def __init__(self, source_folder: str | os.PathLike, root: str | os.PathLike) -> None:
        self.root = Path(root)
        self.source = Path(source_folder)
        doc = json.loads((self.source / "model.json").read_text(encoding="utf-8"))
        self.shards = [p for g in doc.get("weightsManifest", []) for p in g.get("paths", [])]
        if not self.shards:
            raise InvalidArgumentError(f"{self.source} has no weight shards to change between versions.")
        self.version = 0
        self._sha: dict[str, int] = {}
        _copy_folder(self.source, self.root / "v0", link=True)
        _copy_folder(self.root / "v0", self.root / "current", link=True)
        self._remember(0)

    def publish(self) -> int:
        """Publish the next version (a weight byte changed, a new model.json); return its number."""
        old, new = self.root / f"v{self.version}", self.root / f"v{self.version + 1}"
        self.version += 1
        _copy_folder(old, new, link=True)
        shard = new / self.shards[0]
        data = bytearray(shard.read_bytes())
        offset = (4 * self.version) % len(data)  # the lowest byte of one float32: a tiny change
        data[offset] = (data[offset] + 1) % 256
        _replace_file(shard, bytes(data))
        doc = json.loads((old / "model.json").read_text(encoding="utf-8"))
        doc.setdefault("userDefinedMetadata", {})
        doc["userDefinedMetadata"] = {**(doc["userDefinedMetadata"] or {}), "tfcacheNbVersion": self.version}
        _replace_file(new / "model.json", json.dumps(doc, separators=(",", ":")).encode("utf-8"))
        stamp = START_TIME + 3600.0 * self.version  # a later Last-Modified, even within one second
        for name in ("model.json", self.shards[0]):
            os.utime(new / name, (stamp, stamp))
        for path in sorted(p for p in new.rglob("*") if p.is_file()):
            rel = path.relative_to(new)
            target = self.root / "current" / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(target.name + ".publishing")
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
            os.link(path, tmp)
            os.replace(tmp, target)  # each file switches at once: a reader sees the old or the new
        self._remember(self.version)
        return self.version

    def url(self, base_url: str, version: int | None = None) -> str:
        """The model.json URL of ``version`` (None: the current one) on a server of ``root``."""
        return f"{base_url}/{'current' if version is None else f'v{int(version)}'}/model.json"

    def version_of(self, weight_data: bytes) -> int | None:
        """Which published version these weights are (None: none of them)."""
        return self._sha.get(hashlib.sha256(weight_data).hexdigest())

    def _remember(self, version: int) -> None:
        folder = self.root / f"v{version}"
        data = b"".join((folder / p).read_bytes() for p in self.shards)
        self._sha[hashlib.sha256(data).hexdigest()] = version


def _copy_folder(src: Path, dst: Path, *, link: bool) -> None:
    for path in sorted(p for p in src.rglob("*") if p.is_file()):
        target = dst / path.relative_to(src)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            if not link:
                raise OSError
            os.link(path, target)
        except OSError:
            shutil.copy2(path, target)


def _replace_file(path: Path, data: bytes) -> None:
    """Write a new file in place of a (maybe hard-linked) one, leaving the other links alone."""
    tmp = path.with_name(path.name + ".new")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def fill_other_data(store: KeyValueStorage, nbytes: int, prefix: str = "app-data/") -> int:
    """Write about ``nbytes`` of the app's own data (by the storage's size rule); return the bytes.

    Values stay under the storage's per-value cap, as an app's would; the total is exact to
    within the few bytes of one entry's key.
    """
    nbytes = int(nbytes)
    if nbytes < 0:
        raise InvalidArgumentError(f"other_data_bytes must be >= 0, not {nbytes}.")
    written, i = 0, 0
    piece = max(1, min(512 * 1024, store.max_value_bytes - 2))
    while True:
        key = f"{prefix}{i}"
        room = nbytes - written - storage_entry_size(key, "")
        if room < 0:
            return written
        value = "x" * min(piece, room)
        store.set(key, value)
        written += storage_entry_size(key, value)
        i += 1
        if len(value) < piece:
            return written


@dataclasses.dataclass(frozen=True)
class Schedule:
    """When launches happen and when the server publishes: ``updates`` are launch indices."""

    launches: int = 20
    updates: tuple[int, ...] = (5, 12)
    hours_between: float = 8.0
    version_lag: int = DEFAULT_VERSION_LAG

    def __post_init__(self) -> None:
        if isinstance(self.launches, bool) or int(self.launches) < 1:
            raise InvalidArgumentError(f"launches must be at least 1, not {self.launches!r}.")
        ups = tuple(sorted(int(u) for u in self.updates))
        if any(u < 1 or u >= int(self.launches) for u in ups) or len(set(ups)) != len(ups):
            raise InvalidArgumentError(f"updates must be distinct launch numbers from 1 to {int(self.launches) - 1} "
                                       f"(a new version is published just before that launch), not {list(self.updates)}.")
        if not float(self.hours_between) >= 0:
            raise InvalidArgumentError(f"hours_between must be >= 0, not {self.hours_between!r}.")
        if int(self.version_lag) < 0:
            raise InvalidArgumentError(f"version_lag must be >= 0, not {self.version_lag!r}.")
        object.__setattr__(self, "updates", ups)
        object.__setattr__(self, "launches", int(self.launches))

    def server_version(self, launch: int) -> int:
        return sum(1 for u in self.updates if u <= launch)

    def known_version(self, launch: int) -> int:
        """The version a versioned app asks for: the server's, ``version_lag`` launches late."""
        return self.server_version(launch - int(self.version_lag)) if launch >= self.version_lag else 0


def run_user(folder: Path, strategy: Strategy, schedule: Schedule, *, profile: Profile | None,
             store: KeyValueStorage, workdir: Path, key: str = "model", quantize: str | None = None,
             user: int = 0, on_launch: Callable[[dict], Any] | None = None,
             hours_between: float | None = None) -> list[dict]:
    """One user's launches with one strategy, for real: their own server, link and storage."""
    clock = SimClock()
    hours = schedule.hours_between if hours_between is None else float(hours_between)
    records = []
    publisher = ModelPublisher(folder, workdir)
    with ModelServer(workdir, profile=profile) as server:
        for launch in range(schedule.launches):
            if launch:
                clock.advance(hours * 3600.0)
            if launch in schedule.updates:
                publisher.publish()
            server_version = schedule.server_version(launch)
            options: dict[str, Any] = {"cache_key": key, "quantize": quantize, "clock": clock,
                                       "strategy": dataclasses.replace(strategy, versioned=False)}
            if strategy.versioned:
                known = schedule.known_version(launch)
                url = publisher.url(server.url, known)
                options["version"] = str(known)
            else:
                url = publisher.url(server.url)
            server.reset_log()
            artifacts, report = load_artifacts(url, cache=store, **options)
            loaded = publisher.version_of(artifacts.weight_data)
            rec = {
                "strategy": strategy.label, "user": user, "launch": launch, "hours": launch * hours,
                "profile": _profile_label(profile), "server_version": server_version, "loaded_version": loaded,
                "stale": loaded != server_version, "source": report.source, "how": _how(report),
                "total_s": float(report.total_s),
                "network_s": float(report.phases.get("network", 0.0) + report.phases.get("revalidate", 0.0)),
                "bytes_network": int(report.bytes_network), "requests": int(report.requests),
                "server_bytes": int(server.bytes_sent), "saved": bool(report.saved),
                "save_refused": bool(report.save_error),
                "evicted": ";".join(report.evicted), "note": report.save_error or report.revalidated or "",
            }
            records.append(rec)
            if on_launch is not None:
                on_launch(rec)
    return records


def _how(report: Any) -> str:
    if report.source == "network":
        return "download"
    return "checked (304)" if report.requests else "cache"


def _profile_label(profile: Profile | None) -> str:
    if profile is None:
        return "unthrottled"
    return profile.name or f"{profile.rtt_ms:g} ms / {profile.down_kbps:g} kbit/s"


def run_launches(source: str | os.PathLike | ModelSource, strategies: Sequence[str | Strategy] = DEFAULT_STRATEGIES,
                 *, launches: int = 20, updates: Sequence[int] = (5, 12), profile: Profile | str | None = "4g",
                 hours_between: float = 8.0, version_lag: int = DEFAULT_VERSION_LAG, other_data_bytes: int = 0,
                 quantize: str | None = None, seed: int = 0, workdir: str | os.PathLike | None = None,
                 progress: bool = False) -> "LaunchResults":
    """Run ``launches`` launches per strategy while the server publishes versions at ``updates``.

    ``source``: a model folder or a :class:`ModelSource` with one. Each strategy starts from an
    empty storage (``WxStorage(":memory:")`` holding ``other_data_bytes`` of the app's own data)
    and version 0 on the server. ``strategies``: names (``"cacheFirst"``, ``"latest"``,
    ``"networkFirst"``, ``"networkOnly"``, ``"versioned"``) or :class:`Strategy` objects
    (``Strategy("latest", max_age=6 * 3600)``). ``hours_between`` launches are simulated, not
    waited. A versioned app learns of a new version ``version_lag`` launches after it is
    published (WeChat applies a new code package at the next cold start).
    """
    plan = [as_strategy(s) for s in ([strategies] if isinstance(strategies, (str, Strategy)) else strategies)]
    if not plan:
        raise InvalidArgumentError("run_launches needs at least one strategy.")
    if any(s.name == "cacheOnly" for s in plan):
        raise InvalidArgumentError("strategy 'cacheOnly' cannot start from an empty cache: every launch would "
                                   "fail. Compare the strategies that can fetch the model.")
    schedule = Schedule(launches, tuple(updates), hours_between, version_lag)
    prof = Profile.from_name(profile) if isinstance(profile, str) else profile
    results = LaunchResults(meta={"launches": schedule.launches, "updates": list(schedule.updates),
                                  "hours_between": float(hours_between), "profile": _profile_label(prof),
                                  "version_lag": int(version_lag), "other_data_bytes": int(other_data_bytes),
                                  "strategies": [s.label for s in plan]})
    total = len(plan) * schedule.launches
    done = [0]
    started = time.perf_counter()
    line = LiveLine(sys.stderr) if progress else None

    def tick(rec: dict) -> None:
        done[0] += 1
        if line is None:
            return
        text = (f"{done[0]}/{total} launches ({rec['strategy']}: launch {rec['launch']} {rec['how']}), "
                f"{time.perf_counter() - started:.0f} s")
        line.show(text)
        if rec["launch"] == schedule.launches - 1 and not line.live:
            line.print(text)  # a log gets a line per strategy

    with model_folder(source) as folder, work_folder(workdir, "tfcache_nb_launches_") as wd:
        for i, strategy in enumerate(plan):
            store = WxStorage(":memory:", app_id="tfcache-nb-launches", user_id=f"strategy-{i}")
            try:
                fill_other_data(store, other_data_bytes)
                user_profile = prof.with_(seed=derive_seed(seed, i)) if prof is not None else None
                results.records += run_user(folder, strategy, schedule, profile=user_profile, store=store,
                                            workdir=wd / f"strategy-{i}", quantize=quantize, on_launch=tick)
            finally:
                store.close()
    if line is not None and line.live:
        line.end()
    return results


class LaunchResults(ShownAsTable):
    """The launches of :func:`run_launches`: one record (a dict) per launch and strategy.

    ``tc.plot_launches(results)`` draws them (the chart lives in the presentation layer).
    """

    def __init__(self, records: list[dict] | None = None, meta: dict | None = None) -> None:
        self.records = list(records or [])
        self.meta = dict(meta or {})

    def strategies(self) -> list[str]:
        return list(dict.fromkeys(r["strategy"] for r in self.records))

    def summary(self) -> list[dict[str, Any]]:
        """Per strategy: stale launches, downloads, checks, bytes over the network, launch times."""
        import numpy as np

        rows = []
        for name in self.strategies():
            recs = [r for r in self.records if r["strategy"] == name]
            times = np.array([r["total_s"] for r in recs])
            rows.append({
                "strategy": name, "launches": len(recs),
                "stale_launches": sum(r["stale"] for r in recs),
                "downloads": sum(r["how"] == "download" for r in recs),
                "checks_304": sum(r["how"] == "checked (304)" for r in recs),
                "from_cache_only": sum(r["how"] == "cache" for r in recs),
                "bytes_network": sum(r["bytes_network"] for r in recs),
                "median_s": float(np.median(times)), "mean_s": float(times.mean()),
                "max_s": float(times.max()), "total_s": float(times.sum()),
            })
        return rows

    def table(self) -> TextTable:
        m = self.meta
        title = (f"{m.get('launches')} launches {m.get('hours_between', 0):g} h apart on {m.get('profile')}, "
                 f"new versions before launches {', '.join(map(str, m.get('updates', []))) or 'none'}")
        header = ["strategy", "stale", "downloads", "304s", "cache", "network", "median", "mean", "slowest"]
        rows = [[r["strategy"], str(r["stale_launches"]), str(r["downloads"]), str(r["checks_304"]),
                 str(r["from_cache_only"]), human_bytes(r["bytes_network"]), f"{r['median_s']:.3f} s",
                 f"{r['mean_s']:.3f} s", f"{r['max_s']:.3f} s"] for r in self.summary()]
        notes = ["stale: launches that got an older version than the server's; network: response bodies; "
                 "median/mean/slowest: launch time"]
        return TextTable(title, header, rows, notes=notes)

    def __repr__(self) -> str:
        return f"<LaunchResults: {len(self.records)} launches, strategies {', '.join(self.strategies())}>"

    def to_csv(self, path: str | os.PathLike) -> Path:
        path = Path(path)
        columns = list(dict.fromkeys(k for r in self.records for k in r))
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=columns)
            writer.writeheader()
            writer.writerows(self.records)
        return path


__all__ = ["run_launches", "LaunchResults", "ModelPublisher", "SimClock", "Schedule", "fill_other_data",
           "DEFAULT_STRATEGIES"]
