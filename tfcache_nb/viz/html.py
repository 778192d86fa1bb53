"""HTML views for notebooks: storage contents, model info, predictions, load reports.

Every string that comes from a model, a URL or a user is escaped (``tfcache_nb._html``).
"""

from __future__ import annotations

import base64
from typing import Any, Sequence

from .._html import esc, human_bytes, table
from ..storage.base import KeyValueStorage
from .storage_usage import NamespaceUsage, namespace_usage


def model_info_html(info: Any, name: str | None = None) -> str:
    """A ModelArtifactsInfo as a small table (what ``ModelArtifactsInfo._repr_html_`` could return)."""
    rows = [("saved", getattr(info, "date_saved", "-")),
            ("topology type", getattr(info, "model_topology_type", "-")),
            ("topology", human_bytes(getattr(info, "model_topology_bytes", None))),
            ("weight specs", human_bytes(getattr(info, "weight_specs_bytes", None))),
            ("weight data", human_bytes(getattr(info, "weight_data_bytes", None)))]
    return table(rows, title=f"Model {name}" if name else "Model artifacts")


def predictions_html(predictions: Sequence[Any], note: str | None = None) -> str:
    """Top-k predictions as a table with a bar per probability."""
    rows = []
    for i, p in enumerate(predictions, 1):
        prob = float(p.probability)
        bar = (f"<div style='width:{max(0.0, min(1.0, prob)) * 160:.0f}px;height:9px;"
               f"background:#1565c0'></div>")
        rows.append(f"<tr><td>{i}</td><td>{esc(p.class_name)}</td><td>{prob:.1%}</td><td>{bar}</td></tr>")
    head = "<tr><th>#</th><th>class</th><th>probability</th><th></th></tr>"
    warn = f"<div style='color:#c62828'>{esc(note)}</div>" if note else ""
    return (f"<table style='border-collapse:collapse;font-family:sans-serif;font-size:13px'>"
            f"{head}{''.join(rows)}</table>{warn}")


def storage_html(store: KeyValueStorage) -> str:
    """The models in one namespace, by kind of entry, with the base64 overhead and free space."""
    return usage_html(namespace_usage(store))


def usage_html(u: NamespaceUsage) -> str:
    """:func:`storage_html` of a namespace's usage already worked out (no second read of the storage)."""
    rows = []
    for m in u.models:
        rows.append((m.key, m.quantization or "float32", human_bytes(m.raw_weight_bytes),
                     human_bytes(m.weight_bytes), human_bytes(m.topology_bytes), human_bytes(m.info_bytes),
                     human_bytes(m.total_bytes)))
    if u.other_keys:
        rows.append((f"other keys ({u.other_keys})", "-", "-", "-", "-", "-", human_bytes(u.other_bytes)))
    pct = 100.0 * u.used_bytes / u.limit_bytes if u.limit_bytes else 0.0
    title = (f"Storage of app {u.app_id}, user {u.user_id}: {human_bytes(u.used_bytes)} of "
             f"{human_bytes(u.limit_bytes)} used ({pct:.0f}%), {human_bytes(u.free_bytes)} free")
    header = ("model", "stored as", "raw weights", "weights as base64", "topology", "info", "total")
    if not rows:
        return table([("(empty)",)], title=title)
    return table(rows, header=header, title=title)


def png_img_html(png: bytes, alt: str = "chart") -> str:
    return f"<img alt='{esc(alt)}' src='data:image/png;base64,{base64.b64encode(png).decode('ascii')}'/>"


class StorageView:
    """A storage's contents and chart, shown by a notebook as the last line of a cell.

    ``StorageView(store)`` or ``StorageView(store, namespaces="all")``; ``pending`` as in
    :func:`plot_storage`.
    """

    def __init__(self, stores: Any, *, namespaces: Any = None, pending: Any = None) -> None:
        self.stores = stores
        self.namespaces = namespaces
        self.pending = pending

    def _usages(self) -> list[NamespaceUsage]:
        from .storage_usage import storage_usage

        return storage_usage(self.stores, namespaces=self.namespaces, pending=self.pending)

    def figure(self) -> Any:
        from .storage_usage import draw_storage

        return draw_storage(self._usages())

    def _repr_png_(self) -> bytes:
        from ._common import to_png

        return to_png(self.figure())

    def _repr_html_(self) -> str:
        from ._common import to_png
        from .storage_usage import draw_storage

        usages = self._usages()  # one read of each namespace for both the chart and the tables
        tables = "".join(usage_html(u) for u in usages)
        return png_img_html(to_png(draw_storage(usages)), "storage chart") + tables
