"""What a launch costs on the device besides the network: reading the cache, saving a download.

The population model (:mod:`.population`) replays the network with the latency model, but the
toolkit's own work (SQLite, base64, hashing) is measured, not modelled: :class:`LocalTimes`
holds samples of it, taken from real loads (:meth:`LocalTimes.measure`) or from launches
already measured (:meth:`LocalTimes.from_launches`).
"""

from __future__ import annotations

import dataclasses
import os
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Mapping, Sequence

import numpy as np

from ..cache.loader import load_artifacts
from ..errors import InvalidArgumentError
from ..netsim.profiles import Profile
from ..netsim.server import ModelServer
from ..storage.wx_storage import WxStorage
from .run_folders import work_folder
from .runner import derive_seed

#: the key every simulated user caches the model under
MODEL_KEY = "model"

#: the parts of a launch's local time, in the order of LocalTimes' fields
LOCAL_PARTS = ("read_s", "save_s", "nosave_s", "check_overhead_s", "check_local_s")


@dataclasses.dataclass(frozen=True)
class LocalTimes:
    """Seconds a launch spends on this machine besides waiting on the link, as distributions.

    ``read_s``: a load from the cache (read, verify, decode); ``save_s``: saving a download;
    ``nosave_s``: a save attempt that does not fit; ``check_overhead_s``: the HTTP work of a
    304 on 127.0.0.1 unthrottled, added to its round trip; ``check_local_s``: the rest of a
    304 launch (reading the cached copy, recording the check), a cache read's when not given.
    A download's own HTTP work is not
    added: it overlaps the round trips of the other requests in flight (the cold loads'
    network phase is within 1% of the latency model on the presets, README's bench table).

    Each part is a number (every launch pays exactly that) or a sequence of measured samples:
    the field then holds their median and ``samples[part]`` all of them, and each simulated
    launch pays one drawn at random. Local work spreads (page cache, scheduler, other
    processes), and a population median that falls among cache reads sits wherever in that
    spread the share of reads puts it, so one number cannot stand for it.
    """

    read_s: float | Sequence[float]
    save_s: float | Sequence[float]
    nosave_s: float | Sequence[float]
    check_overhead_s: float | Sequence[float]
    check_local_s: float | Sequence[float] | None = None
    samples: Mapping[str, tuple[float, ...]] = dataclasses.field(default_factory=dict, hash=False, repr=False)

    def __post_init__(self) -> None:
        samples = {}
        if self.check_local_s is None:
            object.__setattr__(self, "check_local_s", self.read_s)
        for part in LOCAL_PARTS:
            value = getattr(self, part)
            try:
                values = tuple(float(v) for v in np.asarray(value, dtype=float).ravel())
            except (TypeError, ValueError):
                values = ()
            if not values or isinstance(value, (bool, str)) or np.ndim(value) > 1:
                raise InvalidArgumentError(f"LocalTimes.{part} must be a number of seconds or a non-empty "
                                           f"sequence of them, not {value!r}.")
            if not all(np.isfinite(v) and v >= 0 for v in values):
                raise InvalidArgumentError(f"LocalTimes.{part} must be finite and >= 0 seconds.")
            if len(values) > 1:
                samples[part] = values
            object.__setattr__(self, part, float(statistics.median(values)))
        object.__setattr__(self, "samples", samples)

    def draw(self, part: str, rng: np.random.Generator, n: int) -> np.ndarray | float:
        """``n`` launches' worth of ``part`` drawn from its samples (its number if it has none)."""
        values = self.samples.get(part)
        if not values:
            return getattr(self, part)
        return np.asarray(values)[rng.integers(0, len(values), n)]

    def spread(self, part: str, q: Sequence[float] = (5, 50, 95)) -> list[float]:
        """Percentiles of ``part`` (all equal when it is one number)."""
        return [float(v) for v in np.percentile(self.samples.get(part, (getattr(self, part),)), q)]

    @classmethod
    def from_launches(cls, records: Sequence[Mapping[str, Any]], fallback: "LocalTimes") -> "LocalTimes":
        """Local times taken from launches measured for real (``run_sample``'s or ``run_user``'s records).

        Cache launches give reads; first launches that downloaded give saves (``saved``) and
        refused saves (``save_refused``), and 304s their local part (``check_local_s``), each the
        launch's time besides the network. A part no launch shows, and the 304's own HTTP work
        (a measured 304 mixes it with the link's round trip, which is what the latency model
        supplies), come from ``fallback``.
        """
        if not isinstance(fallback, LocalTimes):
            raise InvalidArgumentError(f"LocalTimes.from_launches needs a LocalTimes as fallback, "
                                       f"not {type(fallback).__name__}.")

        def local(r: Mapping[str, Any]) -> float:
            return max(0.0, float(r["total_s"]) - float(r["network_s"]))

        try:
            found = {
                "read_s": [float(r["total_s"]) for r in records if r["how"] == "cache"],
                "save_s": [local(r) for r in records if r["how"] == "download" and r["saved"] and r["launch"] == 0],
                # a user whose model never fits has nothing cached, so no read precedes any of these
                "nosave_s": [local(r) for r in records if r["how"] == "download" and r.get("save_refused")],
                "check_local_s": [local(r) for r in records if r["how"] == "checked (304)"],
            }
        except KeyError as exc:
            raise InvalidArgumentError(f"LocalTimes.from_launches: a launch record has no {exc.args[0]!r} "
                                       "(pass the records run_user or run_sample write).") from None
        parts = {part: found.get(part) or fallback.samples.get(part) or getattr(fallback, part)
                 for part in LOCAL_PARTS}
        return cls(**parts)

    @classmethod
    def measure(cls, folder: str | os.PathLike, repeat: int = 10, *, concurrency: int = 1,
                others_on: Sequence[Profile | str] = ("4g",),
                workdir: str | os.PathLike | None = None) -> "LocalTimes":
        """Sample each part with real loads of the model in ``folder``, into SQLite files.

        One user (their own server and storage file, as a device has) runs ``repeat`` rounds
        of: a download and its save into a fresh file, three reads from the cache, a 304, and
        a save that does not fit; every time is kept as a sample. On a phone a user has the
        device to themselves: keep ``concurrency=1`` for a population. To check the model
        against a real sample that runs N users at a time on this machine, pass N: the other
        N - 1 users then download and save the model over and over, each over their own link
        (``others_on``, profiles taken in turn), as the sample's users spend most of their
        time doing, so the samples pay the same contention for the cores. The measuring user
        then pauses a random moment before each read and goes on until every other user has
        loaded the model twice, so its reads fall anywhere in the others' download-and-save
        cycles, as a real user's launches do.
        """
        repeat, concurrency = max(1, int(repeat)), max(1, int(concurrency))
        links = [Profile.from_name(p) if isinstance(p, str) else p for p in others_on] or [None]
        parts: dict[str, list[float]] = {p: [] for p in LOCAL_PARTS}
        done = threading.Event()
        loads = [0] * (concurrency - 1)
        pause = np.random.default_rng(0).uniform
        with work_folder(workdir, "tfcache_nb_launches_") as wd:
            def other_user(i: int) -> None:
                link = links[i % len(links)]
                store = WxStorage(wd / f"other-{i}.sqlite")
                try:
                    with ModelServer(folder, profile=link and link.with_(seed=derive_seed(0, i))) as server:
                        while not done.is_set():
                            load_artifacts(server.url + "/model.json", cache=store, cache_key=MODEL_KEY,
                                           strategy="networkFirst")
                            loads[i] += 1
                finally:
                    store.close()

            with ThreadPoolExecutor(max_workers=concurrency) as pool:
                others = [pool.submit(other_user, i) for i in range(concurrency - 1)]
                try:
                    with ModelServer(folder) as server:
                        url = server.url + "/model.json"
                        r = 0
                        while r < repeat or (min(loads, default=2) < 2 and not any(o.done() for o in others)):
                            r += 1
                            store = WxStorage(wd / f"measure-{r}.sqlite")
                            tight = WxStorage(wd / f"measure-{r}-tight.sqlite", limit_bytes=64 * 1024)
                            try:
                                _, cold = load_artifacts(url, cache=store, cache_key=MODEL_KEY)
                                warm = []
                                for _ in range(3):
                                    if others:
                                        time.sleep(pause(0.0, 0.2))
                                    warm.append(load_artifacts(url, cache=store, cache_key=MODEL_KEY)[1])
                                _, checked = load_artifacts(url, cache=store, cache_key=MODEL_KEY, strategy="latest")
                                _, unsaved = load_artifacts(url, cache=tight, cache_key=MODEL_KEY)
                            finally:
                                store.close()
                                tight.close()
                            parts["save_s"].append(cold.total_s - cold.phases.get("network", 0.0))
                            parts["read_s"].extend(w.total_s for w in warm)
                            parts["check_overhead_s"].append(checked.phases.get("revalidate", 0.0))
                            parts["check_local_s"].append(checked.total_s - checked.phases.get("revalidate", 0.0))
                            parts["nosave_s"].append(unsaved.total_s - unsaved.phases.get("network", 0.0))
                finally:
                    done.set()
                for other in others:
                    other.result()  # their errors are the measurement's errors
        return cls(**parts)


__all__ = ["LocalTimes", "LOCAL_PARTS", "MODEL_KEY"]
