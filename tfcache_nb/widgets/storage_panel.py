"""The storage panel: the chart of the namespaces in the storage file, and the current one's table."""

from __future__ import annotations

from typing import Any

import ipywidgets as w

from ..viz._common import to_png
from ..viz.html import usage_html
from ..viz.storage_usage import PendingModel, draw_storage, storage_usage

#: the chart's pixels per inch: its 8-point labels are 11 px high at full size
CHART_DPI = 96
#: the chart is never shown smaller than this part of its full size (the panel scrolls instead)
MIN_SCALE = 0.75
#: namespaces drawn beside the current one: more would shrink each below readability
MAX_OTHERS = 1


class StoragePanel:
    def __init__(self) -> None:
        # hidden until drawn: an Image without a picture shows a broken-image icon
        self.chart = w.Image(format="png", layout=w.Layout(display="none", width="100%", height="auto"))
        self.chart.add_class("tfcache-storage-chart")
        self.title = w.HTML("<b>Storage</b> (all users and apps in this storage file)")
        self.table = w.HTML(layout=w.Layout(max_width="100%", overflow="auto"))
        self.table.add_class("tfcache-storage-table")
        self.widget = w.VBox([self.title, self.chart, self.table],
                             layout=w.Layout(flex="1 1 560px", max_width="100%", overflow="auto",
                                             margin="0 0 12px 0"))
        self.widget.add_class("tfcache-storage-panel")
        self.redraws = 0
        self.figure: Any = None

    def redraw(self, store: Any, pending: dict[tuple[str, str], list[PendingModel]]) -> None:
        """Draw the current namespace and the next one in the file, with models that did not fit."""
        current = (store.app_id, store.user_id)
        others = [ns for ns in store.namespaces() if ns != current]
        stores = [store] + [store.for_namespace(*ns) for ns in others[:MAX_OTHERS]]
        shown = {(s.app_id, s.user_id) for s in stores}
        usages = storage_usage(stores, pending={ns: p for ns, p in pending.items() if ns in shown and p})
        self.figure = draw_storage(usages)
        full_width = int(round(self.figure.get_figwidth() * CHART_DPI))
        self.chart.value = to_png(self.figure, dpi=CHART_DPI)
        self.chart.layout.max_width = f"{full_width}px"
        smallest = int(full_width * MIN_SCALE)
        self.chart.layout.min_width = f"{smallest}px"
        # a flex item that scrolls may shrink to nothing: say how far, so the row wraps instead
        self.widget.layout.min_width = f"min({smallest}px, 100%)"
        self.chart.layout.display = None
        hidden = len(others) - MAX_OTHERS
        self.title.value = ("<b>Storage</b> (all users and apps in this storage file)" if hidden <= 0 else
                            f"<b>Storage</b> (this user and one other; {hidden} more namespace"
                            f"{'s' if hidden > 1 else ''} in the file not drawn)")
        self.table.value = usage_html(usages[0])  # the current namespace, already read for the chart
        self.redraws += 1
