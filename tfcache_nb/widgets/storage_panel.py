"""The storage panel: the chart of every namespace in the storage file, and the current one's table."""

from __future__ import annotations

from typing import Any

import ipywidgets as w

from ..viz._common import to_png
from ..viz.html import usage_html
from ..viz.storage_usage import PendingModel, draw_storage, storage_usage


class StoragePanel:
    def __init__(self) -> None:
        self.chart = w.Image(format="png", layout=w.Layout(width="100%", max_width="900px"))
        self.chart.add_class("tfcache-storage-chart")
        self.table = w.HTML()
        self.table.add_class("tfcache-storage-table")
        self.widget = w.VBox([w.HTML("<b>Storage</b> (all users and apps in this storage file)"),
                              self.chart, self.table])
        self.redraws = 0
        self.figure: Any = None

    def redraw(self, store: Any, pending: dict[tuple[str, str], list[PendingModel]]) -> None:
        """Draw every namespace of the file (the current one first), with models that did not fit."""
        current = (store.app_id, store.user_id)
        others = [ns for ns in store.namespaces() if ns != current]
        stores = [store] + [store.for_namespace(*ns) for ns in others[:5]]
        shown = {(s.app_id, s.user_id) for s in stores}
        usages = storage_usage(stores, pending={ns: p for ns, p in pending.items() if ns in shown and p})
        self.figure = draw_storage(usages)
        self.chart.value = to_png(self.figure, dpi=80)
        self.table.value = usage_html(usages[0])  # the current namespace, already read for the chart
        self.redraws += 1
