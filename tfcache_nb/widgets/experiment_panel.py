"""The experiment panel: cold against warm loads over simulated networks, plot, summary, CSV."""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any

import ipywidgets as w

from .._html import esc
from ..experiments.progress import RunProgress
from ..viz._common import to_png

if TYPE_CHECKING:
    from .dashboard import Dashboard


class ExperimentPanel:
    def __init__(self, d: "Dashboard", profiles: dict[str, Any]) -> None:
        self.d = d
        self.profiles = profiles
        names = list(profiles)
        self.trials = w.IntSlider(value=3, min=1, max=20, description="trials")
        # simulated users at once: each has its own link, so the run takes about its slowest trials
        self.concurrency = w.IntSlider(value=4, min=1, max=12, description="at once")
        self.chosen = w.SelectMultiple(options=names, value=tuple(n for n in ("4g", "wifi") if n in names)
                                       or tuple(names[:1]), description="profiles", rows=min(8, len(names)))
        self.run = w.Button(description="Run experiment", button_style="primary", icon="play")
        self.progress = w.FloatProgress(value=0.0, min=0.0, max=1.0, description="trials")
        self.eta = w.HTML()
        # hidden until drawn: an Image without a picture shows a broken-image icon
        self.plot = w.Image(format="png", layout=w.Layout(display="none", max_width="850px", width="100%"))
        self.summary = w.HTML()
        self.csv = w.HTML()
        for widget, css in ((self.trials, "tfcache-exp-trials"), (self.chosen, "tfcache-exp-profiles"),
                            (self.concurrency, "tfcache-exp-concurrency"),
                            (self.run, "tfcache-exp-run"), (self.progress, "tfcache-exp-progress"),
                            (self.eta, "tfcache-exp-eta"), (self.plot, "tfcache-exp-plot"),
                            (self.summary, "tfcache-exp-summary"), (self.csv, "tfcache-exp-csv")):
            widget.add_class(css)
        self.run.on_click(lambda _b: d.jobs.run("running the experiment", self.do_run))
        self.results: Any = None
        self.widget = w.VBox([
            w.HTML("<b>Cold (network) against warm (cache)</b>: each trial removes the model, "
                   "loads it over the simulated network, then loads it again from a fresh storage. "
                   "Trials run as independent simulated users, several at once ('at once'), each "
                   "on its own simulated link."),
            w.HBox([w.VBox([self.trials, self.concurrency]), self.chosen],
                   layout=w.Layout(flex_flow="row wrap")), self.run,
            w.HBox([self.progress, self.eta], layout=w.Layout(flex_flow="row wrap", align_items="center")),
            self.plot, self.summary, self.csv])

    def do_run(self) -> None:
        from ..experiments.runner import run_experiment

        if not self.chosen.value:
            raise ValueError("pick at least one network profile.")
        _src, source, _key = self.d.load_panel.selected_without_server()  # a URL or a local folder
        self.progress.value = 0.0
        self.eta.value = ""

        def on_progress(p: RunProgress) -> None:
            self.progress.value = p.fraction
            self.progress.description = f"{p.done}/{p.total} trials"
            self.progress.tooltip = f"{p.done} done, {p.running} running, {p.waiting} waiting"
            self.eta.value = f"<span style='font-family:sans-serif;font-size:12px'>{esc(p.text())}</span>"

        results = run_experiment(source, [self.profiles[n] for n in self.chosen.value],
                                 storages=("memory",), trials=int(self.trials.value),
                                 concurrency=int(self.concurrency.value), on_progress=on_progress)
        self.results = results
        self.plot.value = to_png(results.plot(), dpi=80)
        self.plot.layout.display = None
        self.summary.value = results._repr_html_()
        text = results.to_csv()  # without a path: the CSV text
        data = base64.b64encode(text.encode("utf-8")).decode("ascii")
        self.csv.value = (f"<a download='tfcache_experiment.csv' href='data:text/csv;base64,{data}'>"
                          f"Download the {esc(len(results.records))} records as CSV</a>")
