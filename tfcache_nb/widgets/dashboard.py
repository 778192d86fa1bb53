"""``tc.Dashboard()``: the whole toolkit behind buttons, in one notebook cell.

Tabs: *Load & storage* (model source, app_id / user_id, network profile; Load, Remove
model, Clear storage; a progress bar; the load report; the storage chart, redrawn after every
change), *Experiment* (cold against warm over simulated networks) and *Predict* (MobileNet
on an uploaded picture or one of matplotlib's samples). Errors appear as one red line at the
top; long work runs in a background thread with the buttons disabled meanwhile.

Stable CSS classes, for browser tests: ``tfcache-dashboard`` (the whole), ``tfcache-error``,
``tfcache-status``, ``tfcache-source``, ``tfcache-url``, ``tfcache-app-id``,
``tfcache-user-id``, ``tfcache-profile``, ``tfcache-load``, ``tfcache-remove``,
``tfcache-clear``, ``tfcache-progress``, ``tfcache-report``, ``tfcache-storage-chart``,
``tfcache-storage-table``, ``tfcache-columns`` (the two columns of the first tab),
``tfcache-load-panel``, ``tfcache-storage-panel``, ``tfcache-exp-trials``, ``tfcache-exp-profiles``,
``tfcache-exp-run``, ``tfcache-exp-progress``, ``tfcache-exp-eta``, ``tfcache-exp-plot``, ``tfcache-exp-summary``, ``tfcache-exp-csv``,
``tfcache-upload``, ``tfcache-sample``, ``tfcache-topk``, ``tfcache-classify``,
``tfcache-prediction-chart``, ``tfcache-predictions``, ``tfcache-fit`` (Will it fit?),
``tfcache-fit-table``.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any, Callable

import ipywidgets as w

from ..experiments.serving import LocalServers
from ..experiments.sources import preset_sources
from ..netsim.profiles import PROFILES, Profile
from ..storage.base import KeyValueStorage
from ..storage.wx_storage import WxStorage
from ..viz.storage_usage import PendingModel
from ._ui import Jobs, error_html, one_line
from .experiment_panel import ExperimentPanel
from .fit_panel import FitPanel
from .load_panel import LoadPanel
from .predict_panel import PredictPanel
from .storage_panel import StoragePanel


class Dashboard:
    """The toolkit's widgets. ``Dashboard()`` as the last line of a cell shows it.

    ``store``: a WxStorage (its file and namespace); else ``storage_path`` (a SQLite file);
    else ``$TFCACHE_NB_HOME``'s default file when that is set, or a temporary file.
    ``model_dir``: a folder of model folders to offer (default ``$TFCACHE_NB_MODEL_DIR`` or
    ``../shared/models``). ``profiles``: more network profiles by name (added to PROFILES).
    ``background=False`` runs every action inline (deterministic, for tests); ``wait()``
    joins the running job. ``load_options`` go to ``load_artifacts`` (e.g. ``retries``).
    """

    def __init__(self, store: KeyValueStorage | None = None, storage_path: str | os.PathLike[str] | None = None,
                 *, app_id: str | None = None, user_id: str | None = None,
                 model_dir: str | os.PathLike[str] | None = None, profiles: dict[str, Profile] | None = None,
                 background: bool = True, real_urls: bool = True, load_options: dict[str, Any] | None = None) -> None:
        self._tmpdir: tempfile.TemporaryDirectory[str] | None = None
        if store is None:
            if storage_path is None and not os.environ.get("TFCACHE_NB_HOME"):
                self._tmpdir = tempfile.TemporaryDirectory(prefix="tfcache_nb_dashboard_")
                storage_path = Path(self._tmpdir.name) / "wxstorage.sqlite3"
            store = WxStorage(storage_path, app_id=app_id or "demo-app", user_id=user_id or "alice")
        self._base = store
        self.load_options = dict(load_options or {})
        self.pending: dict[tuple[str, str], list[PendingModel]] = {}
        self.servers = LocalServers()
        all_profiles = {**PROFILES, **(profiles or {})}

        self.error = w.HTML()
        self.error.add_class("tfcache-error")
        self.status = w.HTML()
        self.status.add_class("tfcache-status")
        self.load_panel = LoadPanel(self, preset_sources(model_dir, real_urls=real_urls), all_profiles,
                                    app_id or store.app_id, user_id or store.user_id)
        self.storage_panel = StoragePanel()
        self.fit_panel = FitPanel(self)
        self.experiment_panel = ExperimentPanel(self, all_profiles)
        self.predict_panel = PredictPanel(self)
        self.jobs = Jobs(background, self._buttons, self.show_error, self.status,
                         on_start=lambda: setattr(self.error, "value", ""))
        for t in (self.load_panel.app_id, self.load_panel.user_id):
            t.observe(lambda _c: self.guard(self.redraw_storage), names="value")

        # the two columns wrap: the storage panel goes below the load panel when they do not fit
        columns = w.HBox([w.VBox([self.load_panel.widget, self.fit_panel.widget]), self.storage_panel.widget],
                         layout=w.Layout(flex_flow="row wrap", align_items="flex-start", width="100%"))
        columns.add_class("tfcache-columns")
        tabs = w.Tab(children=[
            columns,
            self.experiment_panel.widget,
            self.predict_panel.widget,
        ])
        for i, title in enumerate(("Load & storage", "Experiment", "Predict")):
            tabs.set_title(i, title)
        self.tabs = tabs
        self.widget = w.VBox([w.HTML("<h3 style='margin:4px 0'>tfcache_nb: TensorFlow.js model cache, "
                                     "WeChat-style 10 MiB storage</h3>"), self.error, self.status, tabs])
        self.widget.add_class("tfcache-dashboard")
        self.guard(self.redraw_storage)

    # -- shared services for the panels -------------------------------------------------------
    def _buttons(self) -> list[w.Button]:
        return self.load_panel.buttons + [self.fit_panel.check, self.experiment_panel.run,
                                          self.predict_panel.classify]

    def store(self) -> KeyValueStorage:
        """The namespace the app_id / user_id fields name, in the dashboard's storage file."""
        app = self.load_panel.app_id.value.strip()
        user = self.load_panel.user_id.value.strip()
        if not app or not user:
            raise ValueError("app_id and user_id must not be empty.")
        if (app, user) == (self._base.app_id, self._base.user_id):
            return self._base
        return self._base.for_namespace(app, user)

    def show_error(self, exc: BaseException) -> None:
        self.error.value = error_html(one_line(exc))

    def guard(self, action: Callable[[], None]) -> None:
        """Run a quick action inline; an error becomes the red line, never a traceback."""
        self.error.value = ""
        try:
            action()
        except Exception as exc:
            self.show_error(exc)

    def redraw_storage(self) -> None:
        self.storage_panel.redraw(self.store(), self.pending)

    def model_changed(self) -> None:
        self.predict_panel.model_changed()

    def wait(self, timeout: float | None = None) -> None:
        """Wait for the running background job (load, experiment, classification) to end."""
        self.jobs.wait(timeout)

    def close(self) -> None:
        """Stop the local model servers and close the widgets."""
        self.wait()
        self.servers.close()
        self.widget.close()
        if self._tmpdir is not None:
            self._base.close()
            self._tmpdir.cleanup()
            self._tmpdir = None

    # -- notebook display ---------------------------------------------------------------------
    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    def __repr__(self) -> str:
        return f"Dashboard(storage={self._base!r})"
