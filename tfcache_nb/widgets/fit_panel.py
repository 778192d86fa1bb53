"""The fit panel: will the selected model fit the storage, in which form, at what cost, before loading it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import ipywidgets as w

from .._html import esc
from ..experiments.fit import fit_report

if TYPE_CHECKING:
    from .dashboard import Dashboard


class FitPanel:
    """A "Will it fit?" button and the fit table of the model selected in the load panel.

    The table is checked against the namespace the app_id / user_id fields name, so
    ``fits free`` says whether the model fits beside what that user has already stored.
    """

    def __init__(self, d: "Dashboard") -> None:
        self.d = d
        self.check = w.Button(description="Will it fit?", icon="balance-scale")
        self.table = w.HTML()
        self.check.add_class("tfcache-fit")
        self.table.add_class("tfcache-fit-table")
        self.check.on_click(lambda _b: d.jobs.run("sizing each form and measuring its cost", self.do_check))
        self.widget = w.VBox([self.check, self.table])
        self.last_report = None

    def do_check(self) -> None:
        _src, where, key = self.d.load_panel.selected_without_server()
        store = self.d.store()  # once: the table names the namespace it was checked against
        report = fit_report(where, store=store, cache_key=key)
        self.last_report = report
        self.table.value = (f"<div style='font-family:sans-serif;font-size:12px'>for "
                            f"<code>{esc(key)}</code> in app <b>{esc(store.app_id)}</b>, user "
                            f"<b>{esc(store.user_id)}</b></div>" + report._repr_html_())
