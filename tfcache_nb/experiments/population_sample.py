"""A sample of a population's users run for real, and how it compares with the computation.

:func:`run_sample` runs the first users of a :class:`~.population.PopulationResults` through
:class:`ModelServer`, each on their own link, SQLite file and version history;
:class:`PopulationSample` compares their launches with the computed ones, strategy by strategy
and kind by kind, and :meth:`PopulationSample.held_out` recomputes them with local times
measured on the sample's other users in the same run.
"""

from __future__ import annotations

import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import numpy as np

from .._console import LiveLine
from .._units import human_bytes
from ..cache.strategy import Strategy, as_strategy
from ..errors import InvalidArgumentError
from ..storage.wx_storage import WxStorage
from .launches import fill_other_data, run_user
from .local_times import LocalTimes
from .run_folders import work_folder
from .runner import derive_seed
from .text_table import ShownAsTable, TextTable

if TYPE_CHECKING:
    from .population import PopulationResults


def run_sample(population: "PopulationResults", n: int = 30, *, concurrency: int = 1, strategies: Sequence[str | Strategy] | None = None,
               workdir: str | os.PathLike | None = None, progress: bool = False) -> "PopulationSample":
    """Run users ``0..n-1`` of this population for real through :class:`ModelServer`.

    Each user gets their own server (their own link), storage (a SQLite file, as on a
    device) with their other data, and version history; ``concurrency`` users run at once (their links are independent, but
    their local work shares this machine's cores: more at once than cores slows reading and
    saving). ``progress=True`` prints the users done on stderr.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise InvalidArgumentError(f"run_sample needs a whole number of users, at least 1, not {n!r}.")
    n = min(int(n), population.users)
    plan = [as_strategy(s) for s in strategies] if strategies is not None else population.strategies
    unknown = [s.label for s in plan if s.label not in population.outcome]
    if unknown:
        raise InvalidArgumentError(f"strategy {unknown[0]!r} was not simulated; simulate it first.")
    jobs = [(i, j, s) for i in range(n) for j, s in enumerate(plan)]

    def one(job: tuple[int, int, Strategy]) -> list[dict]:
        i, j, strategy = job
        draw = population.user(i)
        store = WxStorage(wd / f"storage-{i}-{j}.sqlite", limit_bytes=population.limit_bytes,
                          app_id="tfcache-nb-population", user_id=f"user-{i}")
        try:
            fill_other_data(store, draw["other_data_bytes"])
            return run_user(population.model.folder, strategy, population.schedule, store=store, user=i,
                            profile=draw["profile"].with_(seed=derive_seed(population.seed, i)),
                            workdir=wd / f"user-{i}-{j}", hours_between=draw["hours_between"])
        finally:
            store.close()

    started = time.perf_counter()
    done = []
    line = LiveLine(sys.stderr) if progress else None

    def counted(job: tuple[int, int, Strategy]) -> list[dict]:
        recs = one(job)
        done.append(job)
        if line is not None:
            text = (f"real users: {len(done)}/{len(jobs)} (user, strategy) runs done, "
                    f"{time.perf_counter() - started:.0f} s")
            line.show(text) if line.live else line.print(text)
        return recs

    with work_folder(workdir, "tfcache_nb_launches_") as wd, ThreadPoolExecutor(max_workers=max(1, int(concurrency))) as pool:
        records = [r for recs in pool.map(counted, jobs) for r in recs]
    if line is not None and line.live:
        line.end()
    return PopulationSample(population, n, records, time.perf_counter() - started, int(concurrency))


class PopulationSample(ShownAsTable):
    """Launches of the first ``n`` users of a population, measured for real."""

    def __init__(self, population: PopulationResults, n: int, records: list[dict], elapsed_s: float,
                 concurrency: int, *, computed: Mapping[str, np.ndarray] | None = None,
                 local_from: str = "") -> None:
        self.population, self.n, self.records = population, n, records
        self.elapsed_s, self.concurrency = elapsed_s, concurrency
        #: per strategy, (n, launches) computed launch times to compare with; the population's own by default
        self.computed = dict(computed) if computed is not None else None
        #: where the computation's local times came from, when not from the population's LocalTimes
        self.local_from = local_from

    def computed_s(self, strategy: str) -> np.ndarray:
        """(n, launches) computed launch times of the sample's users, compared with :meth:`launch_s`."""
        if self.computed is not None:
            return self.computed[strategy]
        return self.population.outcome[strategy].launch_s[: self.n]

    def held_out(self, folds: int = 2) -> "PopulationSample":
        """The same measured launches against a computation whose local times were measured in
        this run, on the sample's other users.

        User ``i`` is in group ``i % folds``; each group's launches of a strategy are computed
        again with :meth:`LocalTimes.from_launches` of the other groups' launches of the same
        strategy (parts those do not show: of all their launches, then the population's
        :class:`LocalTimes`), so no user's own times enter their computation. What sampling
        local times beforehand can only imitate, the machine's load during the run, is then the
        same on both sides, and the comparison checks what the population model itself claims:
        the network by the latency model, and which launches read, check, download and save, by
        the strategies' and storage's rules. Per strategy, because a strategy's launches meet
        the machine at their own moments: a cacheFirst user's reads come in a burst after one
        download, a versioned user's between downloads, while the other users save theirs.
        """
        if isinstance(folds, bool) or not isinstance(folds, (int, np.integer)) or not 2 <= folds <= self.n:
            raise InvalidArgumentError(f"held_out needs 2 to {self.n} groups of users (the sample's size), "
                                       f"not {folds!r}.")
        folds = int(folds)
        computed = {label: np.full((self.n, self.population.schedule.launches), np.nan)
                    for label in self.strategies()}
        for group in range(folds):
            mine = np.arange(group, self.n, folds)
            others = [r for r in self.records if r["user"] % folds != group]
            pooled = LocalTimes.from_launches(others, fallback=self.population.local)
            for label, out in computed.items():
                local = LocalTimes.from_launches([r for r in others if r["strategy"] == label], fallback=pooled)
                out[mine] = self.population.recompute(label, mine, local, stream=group)
        return PopulationSample(self.population, self.n, self.records, self.elapsed_s, self.concurrency,
                                computed=computed, local_from=f"the other users of the sample ({folds} groups)")

    def launch_s(self, strategy: str) -> np.ndarray:
        """(n, launches) measured launch times of one strategy."""
        L = self.population.schedule.launches
        out = np.full((self.n, L), np.nan)
        for r in self.records:
            if r["strategy"] == strategy:
                out[r["user"], r["launch"]] = r["total_s"]
        return out

    def strategies(self) -> list[str]:
        return list(dict.fromkeys(r["strategy"] for r in self.records))

    def compare(self) -> list[dict[str, Any]]:
        """Per strategy: median launch time measured, computed for the same users, and for everyone."""
        rows = []
        for label in self.strategies():
            real = self.launch_s(label)
            same = self.computed_s(label)
            recs = [r for r in self.records if r["strategy"] == label]
            rows.append({
                "strategy": label, "real_median_s": float(np.median(real)),
                "model_median_s": float(np.median(same)),
                "population_median_s": float(np.median(self.population.outcome[label].launch_s)),
                "ratio": float(np.median(real) / np.median(same)) if np.median(same) > 0 else float("nan"),
                "real_stale": int(sum(r["stale"] for r in recs)),
                "model_stale": int(self.population.outcome[label].stale[: self.n].sum()),
                "real_bytes": int(sum(r["bytes_network"] for r in recs)),
                "model_bytes": int(self.population.outcome[label].bytes_network[: self.n].sum()),
            })
        return rows

    def compare_kinds(self) -> list[dict[str, Any]]:
        """Per strategy and kind of launch (download, checked (304), cache): the median measured
        and the median computed for the very same launches (same user, same launch number)."""
        rows = []
        for label in self.strategies():
            computed = self.computed_s(label)
            recs = [r for r in self.records if r["strategy"] == label]
            for how in ("download", "checked (304)", "cache"):
                cells = [r for r in recs if r["how"] == how]
                if not cells:
                    continue
                real = float(np.median([r["total_s"] for r in cells]))
                model = float(np.median([computed[r["user"], r["launch"]] for r in cells]))
                rows.append({"strategy": label, "how": how, "launches": len(cells), "real_median_s": real,
                             "model_median_s": model, "ratio": real / model if model > 0 else float("nan")})
        return rows

    def kinds_table(self) -> TextTable:
        rows = [[r["strategy"], r["how"], str(r["launches"]), f"{r['real_median_s']:.3f} s",
                 f"{r['model_median_s']:.3f} s", f"{r['ratio']:.2f}"] for r in self.compare_kinds()]
        return TextTable("The same launches, by kind" + (f" (local times from {self.local_from})"
                                                         if self.local_from else ""), ["strategy", "launch", "launches", "measured median",
                                                         "computed median", "real/computed"], rows, text_columns=2)

    def table(self) -> TextTable:
        header = ["strategy", "measured median", "computed (same users)", "real/computed", "computed (all)",
                  "stale real/computed", "bytes real/computed"]
        rows = [[r["strategy"], f"{r['real_median_s']:.3f} s", f"{r['model_median_s']:.3f} s", f"{r['ratio']:.2f}",
                 f"{r['population_median_s']:.3f} s", f"{r['real_stale']}/{r['model_stale']}",
                 f"{human_bytes(r['real_bytes'])} / {human_bytes(r['model_bytes'])}"] for r in self.compare()]
        title = (f"{self.n} users run for real ({self.concurrency} at a time, {self.elapsed_s:.1f} s) against "
                 f"the population model" + (f", local times from {self.local_from}" if self.local_from else ""))
        return TextTable(title, header, rows)

    def __repr__(self) -> str:
        return f"<PopulationSample: {self.n} users, {len(self.records)} launches measured>"


__all__ = ["PopulationSample", "run_sample"]
