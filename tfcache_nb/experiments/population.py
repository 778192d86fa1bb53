"""What a cache strategy does for a whole population of users, computed, not waited for.

:func:`simulate_population` draws ``users`` users (a network from ``network_mix``, an amount
of the app's own data in the same 10 MB storage, hours between launches) and replays, for
every strategy, the launch sequence :func:`~tfcache_nb.experiments.launches.run_launches`
runs for real, with the same rules, as numpy arrays over all users at once:

- network time from the latency model (:func:`expected_load_time`: the server's pacing rules);
  a 304 revalidation costs one round trip;
- local time (reading the cache, saving a download) sampled on this machine from real loads
  into SQLite files (:class:`LocalTimes`), since that is where the toolkit's own work
  happens; each launch draws its own from the samples, so their spread carries over;
- storage by the toolkit's rules: a model is saved only if it fits beside the app's data
  (the toolkit evicts only the models it saved itself, least recently used first, never the
  app's keys), so a user whose own data leaves no room downloads the model on every launch;
  a new version under a versioned key evicts the old one, under the same key it replaces it.

:meth:`PopulationResults.run_sample` runs the first users of the same population for real
through :class:`ModelServer`, so the computed distribution can be checked against measured
launches (:meth:`PopulationSample.compare`, and both in one plot).
"""

from __future__ import annotations

import dataclasses
import email.utils
import os
import time
import zlib
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from .._units import human_bytes
from ..cache.policy import items_size
from ..cache.strategy import Strategy, as_strategy
from ..errors import InvalidArgumentError
from ..format.files import read_model_files
from ..io.cache_metadata import CacheMetadata
from ..io.local_storage_io import local_storage_io
from ..netsim.latency_model import expected_load_time
from ..netsim.profiles import Profile
from ..storage.base import DEFAULT_LIMIT_BYTES
from ..storage.dict_storage import DictStorage
from .launches import DEFAULT_STRATEGIES, DEFAULT_VERSION_LAG, Schedule
from .local_times import MODEL_KEY, LocalTimes
from .population_sample import PopulationSample, run_sample
from .run_folders import model_folder
from .text_table import ShownAsTable, TextTable

#: an illustrative mix, not a measurement: pass the one your users have
DEFAULT_NETWORK_MIX = {"wifi": 0.45, "4g": 0.35, "fast-3g": 0.15, "slow-3g": 0.05}


@dataclasses.dataclass(frozen=True)
class ModelFacts:
    """What the population model needs to know about the model: bytes, and stored bytes."""

    name: str
    folder: Path
    download_bytes: int
    stored_bytes: int


def model_facts(folder: Path, name: str = "") -> ModelFacts:
    """Sizes of one model: its download (model.json and shards) and its entry in storage."""
    artifacts = read_model_files(folder)
    json_bytes = (folder / "model.json").stat().st_size
    shard_bytes = sum((folder / p).stat().st_size for g in artifacts_manifest(folder) for p in g)
    meta = CacheMetadata(sha256="0" * 64, source="http://127.0.0.1:65535/current/model.json",
                         etag='"' + "0" * 32 + '"', last_modified=email.utils.formatdate(0, usegmt=True),
                         weight_data_bytes=len(artifacts.weight_data),
                         original_weight_bytes=len(artifacts.weight_data), checked_at=1.7e9)
    stored = items_size(local_storage_io(DictStorage(), MODEL_KEY).planned_items(artifacts, meta))
    return ModelFacts(name or folder.name, folder, json_bytes + shard_bytes, stored)


def artifacts_manifest(folder: Path) -> list[list[str]]:
    import json

    doc = json.loads((folder / "model.json").read_text(encoding="utf-8"))
    return [list(g.get("paths", [])) for g in doc.get("weightsManifest", [])]


def _profiles(network_mix: Mapping[Any, float] | None) -> tuple[list[Profile], np.ndarray]:
    mix = DEFAULT_NETWORK_MIX if network_mix is None else network_mix
    if not isinstance(mix, Mapping) or not mix:
        raise InvalidArgumentError("network_mix must map profiles (names or tfcache_nb.Profile) to shares, "
                                   "e.g. {'4g': 0.7, 'wifi': 0.3}.")
    profiles = [Profile.from_name(p) if isinstance(p, str) else p for p in mix]
    if not all(isinstance(p, Profile) for p in profiles):
        raise InvalidArgumentError("network_mix keys must be profile names or tfcache_nb.Profile objects.")
    weights = np.array([float(w) for w in mix.values()])
    if not np.all(weights >= 0) or weights.sum() <= 0:
        raise InvalidArgumentError("network_mix shares must be >= 0 and not all zero.")
    return profiles, weights / weights.sum()


def _per_user(value: Any, users: int, rng: np.random.Generator, what: str) -> np.ndarray:
    """A number for everyone, a (low, high) range drawn uniformly per user, or one value per user."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        arr = np.full(users, float(value))
    elif isinstance(value, tuple) and len(value) == 2:
        lo, hi = (float(v) for v in value)
        if hi < lo:
            raise InvalidArgumentError(f"{what}: the range ({lo:g}, {hi:g}) is reversed.")
        arr = rng.uniform(lo, hi, users)
    else:
        arr = np.asarray(value, dtype=float)
        if arr.shape != (users,):
            raise InvalidArgumentError(f"{what} must be a number, a (low, high) range or one value per user "
                                       f"({users}), not {type(value).__name__} of shape {arr.shape}.")
    if not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise InvalidArgumentError(f"{what} must be finite and >= 0.")
    return arr


def simulate_population(model: Any, users: int = 10_000, *, network_mix: Mapping[Any, float] | None = None,
                        launches: int = 20, updates: Sequence[int] = (5, 12),
                        hours_between: float | tuple[float, float] = 8.0,
                        other_data_bytes: float | tuple[float, float] | Sequence[float] = 0,
                        strategies: Sequence[str | Strategy] = DEFAULT_STRATEGIES,
                        version_lag: int = DEFAULT_VERSION_LAG, limit_bytes: int = DEFAULT_LIMIT_BYTES,
                        local: LocalTimes | None = None, seed: int = 0) -> "PopulationResults":
    """Launch times, cache hits, bytes and stale launches of ``users`` users, per strategy.

    ``model``: a model folder or a :class:`ModelSource`. ``network_mix``: ``{profile: share}``.
    ``hours_between`` and ``other_data_bytes`` (the app's own data in the same storage): a
    number, a ``(low, high)`` range drawn per user, or one value per user. ``local``: the local
    times (measured on this machine when None). Nothing waits: 100,000 users take seconds.
    """
    users = int(users)
    if users < 1:
        raise InvalidArgumentError(f"users must be at least 1, not {users}.")
    plan = [as_strategy(s) for s in ([strategies] if isinstance(strategies, (str, Strategy)) else strategies)]
    if not plan or any(s.name == "cacheOnly" for s in plan):
        raise InvalidArgumentError("simulate_population needs strategies that can fetch the model "
                                   "(not 'cacheOnly', which fails every launch from an empty cache).")
    schedule = Schedule(launches, tuple(updates), 0.0, version_lag)
    profiles, shares = _profiles(network_mix)
    rng = np.random.default_rng(seed)
    with model_folder(model) as folder:
        facts = model_facts(folder, getattr(model, "name", "") or "")
        local = local or LocalTimes.measure(folder)
        cold = np.array([expected_load_time(folder, p).total_s for p in profiles])
    started = time.perf_counter()
    profile_of = rng.choice(len(profiles), size=users, p=shares)
    other = np.floor(_per_user(other_data_bytes, users, rng, "other_data_bytes"))
    hours = _per_user(hours_between, users, rng, "hours_between")
    rtt = np.array([p.mean_rtt_s() for p in profiles])
    inputs = _Users(cold[profile_of], rtt[profile_of], facts.stored_bytes <= limit_bytes - other, hours * 3600.0)
    outcome = {s.label: _simulate(s, schedule, inputs, local, facts.download_bytes, _strategy_rng(seed, s))
               for s in plan}
    return PopulationResults(
        model=facts, strategies=plan, schedule=schedule, profiles=profiles, shares=shares, profile_of=profile_of,
        other_data_bytes=other, hours_between=hours, local=local, outcome=outcome, seed=seed,
        limit_bytes=limit_bytes, elapsed_s=time.perf_counter() - started, inputs=inputs)


def _strategy_rng(seed: int, strategy: Strategy) -> np.random.Generator:
    """The draws of local times for one strategy: the same whichever others are simulated with it."""
    return np.random.default_rng([int(seed), zlib.crc32(strategy.label.encode())])


@dataclasses.dataclass
class _Users:
    cold_s: np.ndarray       # a download's network time per user
    check_s: np.ndarray      # a 304's round trip per user (its local HTTP work is drawn per launch)
    fits: np.ndarray         # the model fits beside the user's own data
    interval_s: np.ndarray   # seconds between launches per user

    def subset(self, users: np.ndarray) -> "_Users":
        return _Users(self.cold_s[users], self.check_s[users], self.fits[users], self.interval_s[users])


@dataclasses.dataclass
class Outcome:
    """One strategy over the population: ``launch_s`` is (users, launches); the rest per user."""

    launch_s: np.ndarray
    bytes_network: np.ndarray
    stale: np.ndarray
    hits: np.ndarray
    downloads: np.ndarray


def _simulate(strategy: Strategy, schedule: Schedule, u: _Users, local: LocalTimes, download_bytes: int,
              rng: np.random.Generator) -> Outcome:
    """The launch sequence of every user at once, by the loader's rules (see the module docstring).

    Each launch draws its local times from ``local``'s samples (``rng``), one per user."""
    n, L = len(u.cold_s), schedule.launches
    launch_s = np.empty((n, L), dtype=np.float64)
    nbytes = np.zeros(n, dtype=np.int64)
    stale = np.zeros(n, dtype=np.int32)
    hits = np.zeros(n, dtype=np.int32)
    downloads = np.zeros(n, dtype=np.int32)
    cached = np.full(n, -1, dtype=np.int64)       # the version in the cache, -1: none
    checked = np.full(n, -np.inf)                 # when the server last confirmed it
    name, max_age = strategy.name, strategy.max_age
    for k in range(L):
        now = k * u.interval_s
        v = schedule.server_version(k)
        read_s = local.draw("read_s", rng, n)
        save_s = np.where(u.fits, local.draw("save_s", rng, n), local.draw("nosave_s", rng, n))
        download_s = u.cold_s + save_s
        if name in ("networkOnly", "networkFirst"):
            t = u.cold_s + (save_s if name == "networkFirst" else 0.0)
            got = np.full(n, v)
            fetched = np.ones(n, dtype=bool)
            hit = ~fetched
        elif strategy.versioned:  # cacheFirst under <key>@<version the app knows>
            want = schedule.known_version(k)
            hit = cached == want
            fetched = ~hit
            t = np.where(hit, read_s, download_s)
            got = np.full(n, want)
            cached = np.where(fetched & u.fits, want, cached)
        elif name == "cacheFirst":
            hit = cached >= 0
            fetched = ~hit
            t = np.where(hit, read_s, download_s)
            got = np.where(hit, cached, v)
            cached = np.where(fetched & u.fits, v, cached)
        else:  # latest, at most every max_age seconds if given
            have = cached >= 0
            age = now - checked
            trusted = have & (age >= 0) & (age < max_age) if max_age is not None else np.zeros(n, dtype=bool)
            asked = have & ~trusted
            same = asked & (cached == v)
            changed = asked & (cached != v)
            fetched = ~have | changed
            hit = trusted | same
            check_s = u.check_s + local.draw("check_overhead_s", rng, n) + local.draw("check_local_s", rng, n)
            t = np.where(trusted | changed, read_s, 0.0) + np.where(same, check_s, 0.0) \
                + np.where(fetched, download_s, 0.0)
            got = np.where(fetched, v, cached)
            checked = np.where(asked | fetched, now, checked)
            cached = np.where(fetched & u.fits, v, np.where(fetched, -1, cached))
        launch_s[:, k] = t
        nbytes += np.where(fetched, download_bytes, 0)
        downloads += fetched
        hits += hit
        stale += got != v
    return Outcome(launch_s, nbytes, stale, hits, downloads)


def _user_numbers(users: Sequence[int] | np.ndarray, count: int) -> np.ndarray:
    """``users`` as an index array, each a whole number in ``0..count-1`` (numpy would read -1
    as the last user and 0.5 as the first: a silent wrong answer)."""
    idx = np.asarray(users)
    if idx.size == 0:
        return idx.astype(np.int64).ravel()
    if idx.ndim != 1 or idx.dtype.kind not in "iu" or int(idx.min()) < 0 or int(idx.max()) >= count:
        raise InvalidArgumentError(f"users must be a list of user numbers in 0..{count - 1}, not {users!r}.")
    return idx.astype(np.int64)


class PopulationResults(ShownAsTable):
    """The distribution over users of launch times, hits, bytes and stale launches, per strategy.

    ``tc.plot_population(population, sample=None)`` draws it, with a real sample if given.
    """

    def __init__(self, *, model: ModelFacts, strategies: list[Strategy], schedule: Schedule,
                 profiles: list[Profile], shares: np.ndarray, profile_of: np.ndarray, other_data_bytes: np.ndarray,
                 hours_between: np.ndarray, local: LocalTimes, outcome: dict[str, Outcome], seed: int,
                 limit_bytes: int, elapsed_s: float, inputs: _Users) -> None:
        self.model, self.strategies, self.schedule = model, strategies, schedule
        self.profiles, self.shares, self.profile_of = profiles, shares, profile_of
        self.other_data_bytes, self.hours_between, self.local = other_data_bytes, hours_between, local
        self.outcome, self.seed, self.limit_bytes, self.elapsed_s = outcome, seed, limit_bytes, elapsed_s
        self.inputs = inputs

    def recompute(self, strategy: str, users: Sequence[int] | np.ndarray, local: LocalTimes,
                  stream: int = 0) -> np.ndarray:
        """(len(users), launches) launch times of ``users`` under ``strategy``, computed again with
        other local times (the same users, networks, data and schedule; fresh draws from
        ``local``, seeded by ``stream``)."""
        plan = {s.label: s for s in self.strategies}
        if strategy not in plan:
            raise InvalidArgumentError(f"strategy {strategy!r} was not simulated; simulate it first.")
        idx = _user_numbers(users, self.users)
        rng = np.random.default_rng([int(self.seed), zlib.crc32(strategy.encode()), 1 + int(stream)])
        return _simulate(plan[strategy], self.schedule, self.inputs.subset(idx), local, self.model.download_bytes,
                         rng).launch_s

    @property
    def users(self) -> int:
        return len(self.profile_of)

    def summary(self) -> list[dict[str, Any]]:
        """Per strategy: launch-time percentiles, hit rate, bytes (and saved), stale launches."""
        L = self.schedule.launches
        everything = L * self.model.download_bytes
        rows = []
        for label, o in self.outcome.items():
            rows.append({
                "strategy": label,
                "median_s": float(np.median(o.launch_s)), "p90_s": float(np.percentile(o.launch_s, 90)),
                "mean_s": float(o.launch_s.mean()),
                "median_first_s": float(np.median(o.launch_s[:, 0])),
                "hit_rate": float(o.hits.sum() / (L * self.users)),
                "never_cached": float(np.mean(o.hits == 0)),
                "bytes_per_user": float(o.bytes_network.mean()),
                "bytes_saved_per_user": float(everything - o.bytes_network.mean()),
                "stale_per_user": float(o.stale.mean()), "users_with_stale": float(np.mean(o.stale > 0)),
            })
        return rows

    def table(self) -> TextTable:
        mix = ", ".join(f"{p.name or 'custom'} {s:.0%}" for p, s in zip(self.profiles, self.shares))
        title = (f"{self.users:,} users x {self.schedule.launches} launches of {self.model.name} "
                 f"({human_bytes(self.model.download_bytes)}), updates before launches "
                 f"{', '.join(map(str, self.schedule.updates)) or 'none'}; networks: {mix}")
        header = ["strategy", "median launch", "p90 launch", "from cache", "network/user", "saved/user",
                  "stale/user", "users stale"]
        rows = [[r["strategy"], f"{r['median_s']:.2f} s", f"{r['p90_s']:.2f} s", f"{r['hit_rate']:.0%}",
                 human_bytes(r["bytes_per_user"]), human_bytes(r["bytes_saved_per_user"]),
                 f"{r['stale_per_user']:.2f}", f"{r['users_with_stale']:.0%}"] for r in self.summary()]
        notes = [f"from cache: launches served from storage (304s included); saved: bytes not downloaded "
                 f"compared with no cache; {np.mean(self.model.stored_bytes > self.limit_bytes - self.other_data_bytes):.0%}"
                 f" of users have too much other data for the model to fit (never cached). Computed in "
                 f"{self.elapsed_s:.2f} s."]
        return TextTable(title, header, rows, notes=notes)

    def __repr__(self) -> str:
        return f"<PopulationResults: {self.users:,} users, strategies {', '.join(self.outcome)}>"

    def user(self, i: int) -> dict[str, Any]:
        """User ``i``'s draw: network profile, other data, hours between launches."""
        return {"profile": self.profiles[int(self.profile_of[i])], "other_data_bytes": int(self.other_data_bytes[i]),
                "hours_between": float(self.hours_between[i])}

    def run_sample(self, n: int = 30, *, concurrency: int = 1, strategies: Sequence[str | Strategy] | None = None,
                   workdir: str | os.PathLike | None = None, progress: bool = False) -> PopulationSample:
        """Run users ``0..n-1`` of this population for real through :class:`ModelServer`
        (:func:`~tfcache_nb.experiments.population_sample.run_sample`)."""
        return run_sample(self, n, concurrency=concurrency, strategies=strategies, workdir=workdir,
                          progress=progress)


__all__ = ["simulate_population", "PopulationResults", "PopulationSample", "LocalTimes", "DEFAULT_NETWORK_MIX"]
