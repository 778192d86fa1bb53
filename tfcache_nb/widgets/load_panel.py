"""The load panel: pick a model source, a user and a network; Load, Remove model, Clear storage."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import ipywidgets as w

from .._html import esc
from ..inference.loading import load_artifacts  # the public one: quantize="auto" chooses by measured drift
from ..io.management import remove_model
from ..viz.storage_usage import as_pending
from ..experiments.sources import ModelSource

if TYPE_CHECKING:
    from .dashboard import Dashboard

TYPED = "(the URL typed below)"
NO_PROFILE = "none (full speed)"


class LoadPanel:
    def __init__(self, d: "Dashboard", sources: list[ModelSource], profiles: dict[str, Any],
                 app_id: str, user_id: str) -> None:
        self.d = d
        self.sources = {s.label: s for s in sources}
        self.profiles = profiles
        self.source = w.Dropdown(options=list(self.sources) + [TYPED], description="model",
                                 layout=w.Layout(width="100%"))
        self.url = w.Text(placeholder="https://.../model.json", description="URL",
                          layout=w.Layout(width="100%"))
        half = w.Layout(flex="1 1 200px", width="auto", min_width="180px")
        self.app_id = w.Text(value=app_id, description="app_id", layout=half)
        self.user_id = w.Text(value=user_id, description="user_id", layout=half)
        self.profile = w.Dropdown(options=[NO_PROFILE] + list(profiles), value=NO_PROFILE,
                                  description="network")
        self.load = w.Button(description="Load", button_style="primary", icon="download")
        self.remove = w.Button(description="Remove model", icon="trash")
        self.clear = w.Button(description="Clear storage", button_style="warning", icon="eraser")
        self.progress = w.FloatProgress(value=0.0, min=0.0, max=1.0, description="weights",
                                        bar_style="info")
        self.report = w.HTML(layout=w.Layout(max_width="100%", overflow="auto"))
        self.note = w.HTML()
        for widget, css in ((self.source, "tfcache-source"), (self.url, "tfcache-url"),
                            (self.app_id, "tfcache-app-id"), (self.user_id, "tfcache-user-id"),
                            (self.profile, "tfcache-profile"), (self.load, "tfcache-load"),
                            (self.remove, "tfcache-remove"), (self.clear, "tfcache-clear"),
                            (self.progress, "tfcache-progress"), (self.report, "tfcache-report")):
            widget.add_class(css)
        self.source.observe(self._on_source, names="value")
        self.url.observe(self._on_url, names="value")
        self.load.on_click(lambda _b: d.jobs.run("loading", self.do_load))
        self.remove.on_click(lambda _b: d.guard(self.do_remove))
        self.clear.on_click(lambda _b: d.guard(self.do_clear))
        self._on_source({"new": self.source.value})
        wrap = w.Layout(flex_flow="row wrap", width="100%")
        # the load panel takes 420-600 px; beside the storage panel when there is room, above it when not
        self.widget = w.VBox([self.source, self.url, w.HBox([self.app_id, self.user_id], layout=wrap),
                              self.profile, w.HBox([self.load, self.remove, self.clear], layout=wrap),
                              self.progress, self.note, self.report],
                             layout=w.Layout(flex="1 1 420px", min_width="320px", max_width="600px",
                                             margin="0 24px 12px 0"))
        self.widget.add_class("tfcache-load-panel")
        self.last_artifacts: Any = None
        self.last_source: ModelSource | None = None

    @property
    def buttons(self) -> list[w.Button]:
        return [self.load, self.remove, self.clear]

    # -- what is selected ------------------------------------------------------------------------
    def _on_source(self, change: dict) -> None:
        src = self.sources.get(change["new"])
        self.note.value = f"<small style='color:#b26a00'>{esc(src.note)}</small>" if src and src.note else ""

    def _on_url(self, change: dict) -> None:
        if change["new"].strip() and self.source.value != TYPED:
            self.source.value = TYPED

    def selected(self) -> tuple[ModelSource, str, str]:
        """(the source, the URL to load now, its cache key), serving a local folder if needed."""
        src, _where, key = self.selected_without_server()
        return src, self.d.servers.url_of(src, self.profiles.get(self.profile.value)), key

    # -- actions ---------------------------------------------------------------------------------
    def _progress(self, fraction: float, *_: Any) -> None:
        self.progress.value = max(0.0, min(1.0, float(fraction)))

    def do_load(self) -> None:
        store = self.d.store()
        src, url, key = self.selected()
        self.progress.value = 0.0
        self.progress.bar_style = "info"
        options = {"deadline": self._deadline(src), **self.d.load_options}  # no cell hangs
        artifacts, report = load_artifacts(url, cache=store, cache_key=key, on_progress=self._progress,
                                           **options)
        self.progress.value = self.progress.max
        self.progress.bar_style = "success"
        self.last_artifacts, self.last_source = artifacts, src
        ns = (store.app_id, store.user_id)
        pending = [p for p in self.d.pending.get(ns, []) if p.name != key]
        missed = as_pending(report)  # None unless fetched over the network and not saved
        if missed is not None:
            pending.append(missed)
        self.d.pending[ns] = pending
        note = f"<div style='color:#b26a00'>{esc(src.note)}</div>" if src.note else ""
        self.report.value = report._repr_html_() + note
        self.d.model_changed()
        self.d.redraw_storage()

    def do_remove(self) -> None:
        store = self.d.store()
        _src, _url, key = self.selected_without_server()
        remove_model(store, key)
        ns = (store.app_id, store.user_id)
        self.d.pending[ns] = [p for p in self.d.pending.get(ns, []) if p.name != key]
        self.report.value = f"<div style='font-family:sans-serif'>Removed model <b>{esc(key)}</b>.</div>"
        self.d.redraw_storage()

    def do_clear(self) -> None:
        store = self.d.store()
        store.clear()
        self.d.pending.pop((store.app_id, store.user_id), None)
        self.report.value = (f"<div style='font-family:sans-serif'>Cleared the storage of app "
                             f"<b>{esc(store.app_id)}</b>, user <b>{esc(store.user_id)}</b>.</div>")
        self.d.redraw_storage()

    def _deadline(self, src: ModelSource) -> float:
        """3x what the latency model expects plus 30 s for a model served here, 300 s for a URL."""
        from ..netsim.latency_model import expected_load_time
        from ..transport.deadline import deadline_for

        folder = self.d.servers.folder_of(src) if not src.url else None
        if folder is None:
            return deadline_for(None)
        return deadline_for(expected_load_time(folder, self.profiles.get(self.profile.value)).total_s)

    def selected_without_server(self) -> tuple[ModelSource, str, str]:
        """(the source, its URL or local folder, its cache key), without starting a server for it."""
        if self.source.value == TYPED:
            url = self.url.value.strip()
            if not url:
                raise ValueError("type a model.json URL first, or pick a model from the list.")
            src = ModelSource.from_url(url)
        else:
            src = self.sources[self.source.value]
        return src, src.url or str(self.d.servers.folder_of(src)), src.cache_key
