"""The results of a latency experiment: one plain dict per load, a summary, CSV, a plot.

Records are plain dicts (``pandas.DataFrame(results.records)`` works) so the toolkit does not
need pandas. Times are seconds; bytes are bytes.
"""

from __future__ import annotations

import csv
import io
import math
import os
import textwrap
from pathlib import Path
from typing import Any

from .._atomic import atomic_write
from .._html import esc, human_bytes, human_seconds
from .stats import describe

GROUP = ("model", "profile", "client", "storage")
_HEAD = ("model", "source_url", "profile", "client", "storage", "trial", "kind", "total_s")
#: the client of records that do not name one (runs before clients were recorded)
DEFAULT_CLIENT = "tfcache_nb"
_STAT_KEYS = ("median", "p5", "p95", "mean", "ci_low", "ci_high")


class ExperimentResults:
    """Records of cold and warm loads, with ``summary()``, ``to_csv()`` and ``plot()``.

    ``records``: one dict per load (model, source_url, profile, client, storage, trial, kind
    ``"cold"``/``"warm"``, total_s, ``phase_<name>_s``, bytes_network, bytes_storage,
    requests, source, expected_s, ...). ``warnings``: things the reader must know (a warm
    load that did not come from the cache, URL sources the profiles could not throttle).
    """

    def __init__(self, records: list[dict] | None = None, *, warnings: list[str] | None = None,
                 meta: dict | None = None) -> None:
        self.records: list[dict] = list(records or [])
        self.warnings: list[str] = list(warnings or [])
        self.meta: dict = dict(meta or {})

    def __len__(self) -> int:
        return len(self.records)

    def __repr__(self) -> str:
        groups = len({_group(r) for r in self.records})
        return f"<ExperimentResults {len(self.records)} loads in {groups} groups>"

    def normalize(self) -> None:
        """Give every record every phase column (0.0 where a load had no such phase), with
        the columns in one order: identity, total_s, the phases, then the rest."""
        phases: list[str] = []
        for r in self.records:
            phases += [k for k in r if k.startswith("phase_") and k not in phases]
        for i, r in enumerate(self.records):
            head = {k: r[k] for k in _HEAD if k in r}
            rest = {k: v for k, v in r.items() if k not in head and not k.startswith("phase_")}
            self.records[i] = {**head, **{k: r.get(k, 0.0) for k in phases}, **rest}

    # -- summary -----------------------------------------------------------------------------
    def summary(self) -> list[dict[str, Any]]:
        """One row per (model, profile, client, storage): n, cold and warm median / p5 / p95 / mean
        with its 95% interval, the speed-up (cold median / warm median), the latency model's
        expected cold time, and the measured network time of cold loads (their ``network``
        phase: the part the latency model predicts, without saving) over that expectation."""
        groups: dict[tuple, list[dict]] = {}
        for r in self.records:
            groups.setdefault(_group(r), []).append(r)
        rows = []
        for key, recs in groups.items():
            cold = [r for r in recs if r["kind"] == "cold"]
            warm = [r for r in recs if r["kind"] == "warm"]
            c, w = describe(r["total_s"] for r in cold), describe(r["total_s"] for r in warm)
            row: dict[str, Any] = dict(zip(GROUP, key))
            row["n"] = min(c.n, w.n)
            for name, d in (("cold", c), ("warm", w)):
                row.update({f"{name}_{k}_s": getattr(d, k) for k in _STAT_KEYS})
            row["speedup"] = (c.median / w.median) if w.median > 0 else math.nan
            expected = next((r.get("expected_s") for r in cold if r.get("expected_s") is not None), None)
            row["expected_s"] = expected if expected is not None else math.nan
            network = describe(r.get("phase_network_s", math.nan) for r in cold).median
            row["cold_network_median_s"] = network
            row["measured_over_expected"] = (network / expected) if expected else math.nan
            row["bytes_network"] = _median_int(r["bytes_network"] for r in cold)
            row["bytes_storage"] = _median_int(r["bytes_storage"] for r in warm)
            row["warm_from_cache"] = sum(1 for r in warm if r.get("source") == "cache")
            rows.append(row)
        return rows

    def table(self, wide: bool = False) -> "SummaryTable":
        """The summary as a table to print or show in a notebook: compact (model, profile, cold
        and warm medians, speed-up, network/expected: fits 100 columns) or ``wide`` (every
        figure of :meth:`summary`: percentiles, means with their intervals, bytes)."""
        summary = self.summary()
        several_storages = len({s["storage"] for s in summary}) > 1
        several_clients = len({s["client"] for s in summary}) > 1
        if wide:
            header = ["model", "profile", "client", "storage", "n", "cold median", "cold p5-p95",
                      "cold mean ±95% CI", "warm median", "warm p5-p95", "warm mean ±95% CI",
                      "speed-up", "expected cold", "network/expected", "downloaded", "in storage"]
        else:
            header = ["model", "profile"] + (["client"] if several_clients else []) + (
                ["storage"] if several_storages else []) + ["cold median", "warm median", "speed-up"] + (
                ["expected cold"] if several_clients else []) + ["network/expected"]
        rows = []
        for s in summary:
            missed = s["n"] - s["warm_from_cache"]
            warm = human_seconds(s["warm_median_s"]) + (
                (f" ({missed} not cached!)" if wide else " !") if missed else "")
            if wide:
                rows.append([
                    str(s["model"]), str(s["profile"]), str(s["client"]), str(s["storage"]), str(s["n"]),
                    human_seconds(s["cold_median_s"]), _range(s["cold_p5_s"], s["cold_p95_s"]),
                    _mean_ci(s, "cold"), warm, _range(s["warm_p5_s"], s["warm_p95_s"]),
                    _mean_ci(s, "warm"), _x(s["speedup"]), human_seconds(s["expected_s"]),
                    _ratio(s["measured_over_expected"]), human_bytes(s["bytes_network"]),
                    human_bytes(s["bytes_storage"])])
            else:
                rows.append([str(s["model"]), str(s["profile"])]
                            + ([str(s["client"])] if several_clients else [])
                            + ([str(s["storage"])] if several_storages else [])
                            + [human_seconds(s["cold_median_s"]), warm, _x(s["speedup"])]
                            + ([human_seconds(s["expected_s"])] if several_clients else [])
                            + [_ratio(s["measured_over_expected"])])
        text_columns = 4 if wide else 2 + several_clients + several_storages
        warnings = list(self.warnings)
        if not wide and any(s["n"] != s["warm_from_cache"] for s in summary):
            warnings.insert(0, "! = some of these warm loads did not come from the cache; they are no warm times.")
        return SummaryTable(header, rows, text_columns, warnings, wide=wide)

    def summary_table(self, wide: bool = False) -> str:
        """The summary as aligned text (compact unless ``wide``), with any warnings below it."""
        return str(self.table(wide))

    def __str__(self) -> str:
        return self.summary_table()

    def _repr_html_(self) -> str:
        return self.table()._repr_html_()

    def to_dict(self) -> dict[str, Any]:
        """The run's settings, summary rows and warnings as plain JSON-ready values (NaN as None)."""
        return {"meta": self.meta, "summary": [{k: _json_value(v) for k, v in row.items()}
                                               for row in self.summary()],
                "warnings": list(self.warnings)}

    # -- CSV -----------------------------------------------------------------------------------
    def columns(self) -> list[str]:
        """Every record key, in first-seen order."""
        cols: list[str] = []
        seen: set[str] = set()
        for r in self.records:
            for k in r:
                if k not in seen:
                    seen.add(k)
                    cols.append(k)
        return cols

    def to_csv(self, path: str | os.PathLike | None = None) -> str | Path:
        """One row per load. Returns the CSV text when ``path`` is None, else writes it there
        (atomically) and returns the path."""
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=self.columns(), lineterminator="\n")
        writer.writeheader()
        for r in self.records:
            writer.writerow({k: ("" if v is None else v) for k, v in r.items()})
        text = buf.getvalue()
        if path is None:
            return text
        path = Path(path)
        atomic_write(path, text.encode("utf-8"))  # a failed write leaves no half CSV, no temporary file
        return path

    # -- plot ----------------------------------------------------------------------------------
    def plot(self, ax: Any = None) -> Any:
        """Cold against warm load time per profile (median, p5-p95 error bars, log time axis),
        with the latency model's expected cold time marked. Returns the matplotlib Figure."""
        from matplotlib.figure import Figure

        if ax is None:
            fig = Figure(figsize=(8.5, 5.2), layout="constrained")
            ax = fig.add_subplot()
        else:
            fig = ax.figure
        summary = self.summary()
        profiles = list(dict.fromkeys(s["profile"] for s in summary))
        combos = list(dict.fromkeys((s["model"], s["client"], s["storage"]) for s in summary))
        single = len(combos) == 1
        models = list(dict.fromkeys(s["model"] for s in summary))
        clients = list(dict.fromkeys(s["client"] for s in summary))
        storages = list(dict.fromkeys(s["storage"] for s in summary))
        n_series = len(combos) * 2
        step = 0.8 / n_series
        palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"]
        expected_labelled = False
        for ci, combo in enumerate(combos):
            for ki, kind in enumerate(("cold", "warm")):
                offset = -0.4 + step * (ci * 2 + ki + 0.5)
                xs, med, lo, hi = [], [], [], []
                for s in summary:
                    if (s["model"], s["client"], s["storage"]) != combo:
                        continue
                    x = profiles.index(s["profile"]) + offset
                    xs.append(x)
                    m = s[f"{kind}_median_s"]
                    med.append(m)
                    lo.append(max(0.0, m - s[f"{kind}_p5_s"]))
                    hi.append(max(0.0, s[f"{kind}_p95_s"] - m))
                    if kind == "cold" and not math.isnan(s["expected_s"]):
                        ax.plot([x], [s["expected_s"]], linestyle="none", marker="_", markersize=22,
                                markeredgewidth=2.5, color="black", zorder=4, gid="expected-cold",
                                label=None if expected_labelled else "expected cold (latency model)")
                        expected_labelled = True
                    if kind == "warm" and not math.isnan(s["speedup"]):
                        ax.annotate(f"{_x(s['speedup'])} faster", (x, s["warm_p95_s"]),
                                    textcoords="offset points", xytext=(0, 8), ha="center", fontsize=8,
                                    color="#333333")
                if single:
                    color = "#d62728" if kind == "cold" else "#2ca02c"
                    label = ("cold: network, then saved" if kind == "cold" else "warm: from the cache")
                else:
                    color = palette[ci % len(palette)]
                    names = [x for x, many in zip(combo, (len(models) > 1, len(clients) > 1,
                                                          len(storages) > 1)) if many]
                    label = f"{kind} · {' / '.join(names)}"
                ax.errorbar(xs, med, yerr=[lo, hi], fmt="o" if kind == "cold" else "s", color=color,
                            ecolor=color, elinewidth=1.5, capsize=4, markersize=7, label=label,
                            zorder=3)
        ax.set_yscale("log")
        ax.set_xticks(range(len(profiles)))
        info = self.meta.get("profile_info", {})
        ax.set_xticklabels([f"{p}\n{info[p]}" if p in info else p for p in profiles])
        ax.set_xlim(-0.6, len(profiles) - 0.4)
        ax.set_xlabel("network profile (simulated)")
        ax.set_ylabel("load time, seconds (log scale)")
        ax.grid(True, which="both", axis="y", alpha=0.3)
        n = max((s["n"] for s in summary), default=0)
        ax.set_title(f"Cold (network) vs warm (cache) load time: {', '.join(models)}\n"
                     + (f"clients {', '.join(clients)}; storage {', '.join(storages)}\n"
                        if len(clients) > 1 else f"storage {', '.join(storages)}; ")
                     + f"median of {n} trials, bars 5th-95th percentile",
                     fontsize=11)
        if single:
            ax.legend(loc="best", fontsize=9, framealpha=0.9)
        else:
            ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, framealpha=0.9)
        return fig


class SummaryTable:
    """An experiment's summary table: ``str()`` gives aligned text, a notebook shows HTML."""

    def __init__(self, header: list[str], rows: list[list[str]], text_columns: int,
                 warnings: list[str], *, wide: bool) -> None:
        self.header, self.rows, self.text_columns = header, rows, text_columns
        self.warnings, self.wide = warnings, wide

    def __str__(self) -> str:
        widths = [max(len(x) for x in col) for col in zip(self.header, *self.rows)]
        if not self.wide:  # names give way so the compact table fits the terminal
            excess = sum(widths) + 2 * (len(widths) - 1) - (TEXT_WIDTH - 1)
            while excess > 0:
                i = max(range(self.text_columns), key=lambda j: widths[j])
                if widths[i] <= 10:
                    break
                cut = min(excess, widths[i] - 10)
                widths[i] -= cut
                excess -= cut

        def fmt(cells: list[str]) -> str:
            return "  ".join(_short(c, w).ljust(w) if i < self.text_columns else c.rjust(w)
                             for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

        lines = [fmt(self.header), "  ".join("-" * w for w in widths)] + [fmt(r) for r in self.rows]
        for w in self.warnings:
            lines += textwrap.wrap(f"warning: {w}", width=TEXT_WIDTH - 1, subsequent_indent="  ")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        parts = ["<div style='font-family:sans-serif;font-weight:bold;margin:4px 0'>"
                 "Cold (network) against warm (cache) loads</div>",
                 "<table style='border-collapse:collapse;font-family:sans-serif;font-size:13px'>",
                 "<tr>" + "".join(f"<th style='padding:2px 8px;border-bottom:1px solid #999'>{esc(h)}</th>"
                                  for h in self.header) + "</tr>"]
        for row in self.rows:
            parts.append("<tr>" + "".join(
                f"<td style='padding:2px 8px;border-bottom:1px solid #ddd;"
                f"text-align:{'left' if i < self.text_columns else 'right'}'>{esc(c)}</td>"
                for i, c in enumerate(row)) + "</tr>")
        parts.append("</table>")
        if not self.wide:
            parts.append("<div style='font-family:sans-serif;font-size:12px;color:#555'>"
                         "percentiles, means with their 95% intervals and bytes: "
                         "<code>results.table(wide=True)</code></div>")
        for w in self.warnings:
            parts.append(f"<div style='color:#b71c1c;font-family:sans-serif'>warning: {esc(w)}</div>")
        return "".join(parts)


#: the compact table and its notes fit a terminal this wide
TEXT_WIDTH = 100


def _group(record: dict) -> tuple:
    return tuple(record.get(k, DEFAULT_CLIENT) if k == "client" else record[k] for k in GROUP)


def _short(text: Any, limit: int = 28) -> str:
    s = str(text)
    return s if len(s) <= limit else s[: limit - 1] + "\u2026"


def _json_value(v: Any) -> Any:
    return None if isinstance(v, float) and math.isnan(v) else v


def _median_int(values) -> int:
    xs = sorted(int(v) for v in values)
    return xs[len(xs) // 2] if xs else 0


def _range(lo: float, hi: float) -> str:
    if math.isnan(lo) or math.isnan(hi):
        return "-"
    if lo >= 1 and hi >= 1:
        return f"{lo:.2f}-{hi:.2f} s"
    if lo < 1 and hi < 1:
        return f"{lo * 1000:.1f}-{hi * 1000:.1f} ms"
    return f"{human_seconds(lo)}-{human_seconds(hi)}"


def _mean_ci(row: dict, kind: str) -> str:
    mean, high = row[f"{kind}_mean_s"], row[f"{kind}_ci_high_s"]
    if math.isnan(high):
        return human_seconds(mean)
    return f"{human_seconds(mean)} ± {human_seconds(high - mean)}"


def _x(v: float) -> str:
    return "-" if math.isnan(v) else (f"{v:,.0f}x" if v >= 10 else f"{v:.1f}x")


def _ratio(v: float) -> str:
    return "-" if math.isnan(v) else f"{v:.2f}"


__all__ = ["ExperimentResults", "SummaryTable", "TEXT_WIDTH"]
