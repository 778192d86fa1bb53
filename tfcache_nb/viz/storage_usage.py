"""How full each WeChat-style storage namespace is, and with what: data and the chart.

One stacked bar per ``(app_id, user_id)`` namespace, split by model (one colour each) and
by kind of entry (the plugin's ``info`` and ``weight_data_size``, the topology in
``model_without_weight``, the weight chunks, other keys). The weights are drawn as their raw
size plus a hatched base64 overhead, because base64 is why an 8.5 MiB model does not fit in
10 MiB. Models that were attempted but not saved are drawn as ghost segments past the cap.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any, Sequence

from ..errors import InvalidArgumentError, TfcacheError
from ..io.cache_metadata import METADATA_FIELD, CacheMetadata
from ..io.local_storage_io import KEY_PREFIX, local_storage_io, model_key_from_info_key
from ..io.tiered_cache import TieredCache
from ..storage.base import KeyValueStorage
from .._units import MIB_LABEL, human_bytes, mib
from ._common import GREY, MODEL_COLOURS, WARN, label, new_figure

@dataclasses.dataclass
class ModelUsage:
    """The bytes one cached model takes against the quota, by kind of entry."""

    key: str
    info_bytes: int = 0          # info + weight_data_size entries
    topology_bytes: int = 0      # model_without_weight
    weight_bytes: int = 0        # the base64 chunks as stored (keys and JSON quotes included)
    raw_weight_bytes: int | None = None  # the binary weights the chunks encode
    quantization: str | None = None

    @property
    def total_bytes(self) -> int:
        return self.info_bytes + self.topology_bytes + self.weight_bytes


@dataclasses.dataclass
class PendingModel:
    """A model that was attempted but not saved: it needs ``bytes_needed`` of storage."""

    name: str
    bytes_needed: int
    raw_weight_bytes: int | None = None
    reason: str | None = None


@dataclasses.dataclass
class FileTierUsage:
    """The file storage tier of a :class:`TieredCache`: its models and WeChat's file limit."""

    folder: str
    limit_bytes: int
    used_bytes: int
    models: list[ModelUsage] = dataclasses.field(default_factory=list)


def file_tier_usage(cache: TieredCache) -> FileTierUsage:
    """Every model in the file tier, its bytes on disk (raw weights, no base64) and its form."""
    def size(path: Path) -> int:
        return path.stat().st_size if path.is_file() else 0

    models = []
    for key in cache.file_models():
        entry = cache.file(key)
        try:
            meta = entry.read_metadata()
        except TfcacheError:  # a damaged or unreadable info file: still show its bytes
            meta = None
        weights = size(entry.weight_path)
        models.append(ModelUsage(key, info_bytes=size(entry.info_path), topology_bytes=size(entry.model_path),
                                 weight_bytes=weights, raw_weight_bytes=weights,
                                 quantization=meta.quantization if meta is not None else None))
    return FileTierUsage(str(cache.folder), cache.limit_bytes, cache.file_used_bytes(), models)


@dataclasses.dataclass
class NamespaceUsage:
    """One namespace's use of its quota."""

    app_id: str
    user_id: str
    limit_bytes: int
    used_bytes: int
    models: list[ModelUsage]
    other_bytes: int = 0
    other_keys: int = 0
    pending: list[PendingModel] = dataclasses.field(default_factory=list)
    #: the file storage tier, when the namespace is the local tier of a TieredCache
    file_tier: FileTierUsage | None = None

    @property
    def free_bytes(self) -> int:
        return max(0, self.limit_bytes - self.used_bytes)


def namespace_usage(store: KeyValueStorage) -> NamespaceUsage:
    """Classify every entry of ``store``'s namespace by model and kind."""
    sizes = store.entry_sizes("")
    models: dict[str, ModelUsage] = {}
    for k in sizes:
        name = model_key_from_info_key(k)
        if name is not None:
            models[name] = ModelUsage(name)
    bases = {f"{KEY_PREFIX}/{name}/": m for name, m in models.items()}
    # the longest matching model prefix owns a key (names may contain '/')
    longest_first = sorted(bases, key=len, reverse=True)
    other = other_keys = 0
    for k, size in sizes.items():
        owner = None
        if k.startswith(KEY_PREFIX + "/"):
            for base in longest_first:
                if k.startswith(base):
                    owner, rest = bases[base], k[len(base):]
                    break
        if owner is None:
            other += size
            other_keys += 1
        elif rest in ("info", "weight_data_size"):
            owner.info_bytes += size
        elif rest == "model_without_weight":
            owner.topology_bytes += size
        elif rest.startswith("weight_data:") and rest[len("weight_data:"):].isdigit():
            owner.weight_bytes += size
        else:
            other += size
            other_keys += 1
    for m in models.values():
        try:
            info = local_storage_io(store, m.key).read_info() or {}
            raw = info.get("weightDataBytes")
            m.raw_weight_bytes = raw if isinstance(raw, int) and not isinstance(raw, bool) else None
            # the record inside the info entry just read (what read_metadata would read again)
            meta = CacheMetadata.from_json(info.get(METADATA_FIELD))
        except Exception:  # a damaged info entry: still show its bytes
            meta = None
        if meta is not None:
            m.quantization = meta.quantization
    return NamespaceUsage(store.app_id, store.user_id, store.limit_bytes, sum(sizes.values()),
                          sorted(models.values(), key=lambda m: m.key), other, other_keys)


_NEEDS = re.compile(r"needs ([\d,]+) bytes")


def as_pending(item: Any) -> PendingModel | None:
    """A :class:`PendingModel` from a LoadReport that was not saved, a (name, bytes) pair, or itself."""
    if isinstance(item, PendingModel):
        return item
    if isinstance(item, (tuple, list)) and len(item) >= 2:
        return PendingModel(str(item[0]), int(item[1]), *(item[2:3] or [None]))
    if isinstance(item, dict):
        return PendingModel(str(item.get("name", "model")), int(item.get("bytes_needed", 0)),
                            item.get("raw_weight_bytes"), item.get("reason"))
    if hasattr(item, "saved") and hasattr(item, "weight_bytes"):
        if item.saved or getattr(item, "source", "network") == "cache":
            return None
        reason = getattr(item, "save_error", None)
        raw = int(item.weight_bytes or 0)
        needed = getattr(item, "bytes_needed", None)
        if needed is None:
            match = _NEEDS.search(reason or "")
            # without the loader's exact figure: base64 of the weights (4/3) plus ~2% for the rest
            needed = int(match.group(1).replace(",", "")) if match else int(-(-raw // 3) * 4 * 1.02)
        return PendingModel(str(item.cache_key or item.url or "model"), needed, raw, reason)
    raise InvalidArgumentError(f"cannot read a pending model from {type(item).__name__}: give a LoadReport, "
                    "a (name, bytes_needed) pair or a PendingModel.")


def _stores(stores: Any, namespaces: Any) -> list[KeyValueStorage]:
    if isinstance(stores, (KeyValueStorage, TieredCache)):
        stores = [stores]
    stores = [s.store if isinstance(s, TieredCache) else s for s in stores]
    if not stores:
        raise InvalidArgumentError("plot_storage needs at least one storage.")
    for s in stores:
        if not isinstance(s, KeyValueStorage):
            raise InvalidArgumentError(f"plot_storage needs WxStorage objects, not {type(s).__name__}.")
    if namespaces == "all":
        seen: dict[tuple[str, str], KeyValueStorage] = {}
        for s in stores:
            seen.setdefault((s.app_id, s.user_id), s)
            for ns in s.namespaces():
                seen.setdefault(ns, s.for_namespace(*ns))
        return list(seen.values())
    if namespaces is not None:
        base = stores[0]
        return [base.for_namespace(a, u) for a, u in namespaces]
    return stores


def _pending_map(pending: Any, usages: list[NamespaceUsage]) -> None:
    """Attach pending models to their namespaces.

    A load report goes to the namespace it was loaded for; other items in a plain list go to
    the first namespace plotted, or use a dict ``{(app_id, user_id): [...]}``.
    """
    if pending is None:
        return
    by_ns = {(u.app_id, u.user_id): u for u in usages}
    if isinstance(pending, dict):
        for ns, items in pending.items():
            if isinstance(ns, KeyValueStorage):
                ns = (ns.app_id, ns.user_id)
            target = by_ns.get(tuple(ns))
            if target is None:
                raise InvalidArgumentError(f"pending models given for namespace {ns!r}, which is not plotted.")
            target.pending += [p for p in map(as_pending, _listify(items)) if p is not None]
        return
    for item in _listify(pending):
        found = as_pending(item)
        if found is None:
            continue
        ns = getattr(item, "namespace", None)
        target = by_ns.get(tuple(ns)) if ns else usages[0]
        if target is None:
            raise InvalidArgumentError(f"a pending model was loaded for namespace {tuple(ns)!r}, which is not plotted.")
        target.pending.append(found)


def _listify(items: Any) -> list[Any]:
    if isinstance(items, tuple) and len(items) == 2 and isinstance(items[0], str):
        return [items]
    return list(items) if isinstance(items, (list, tuple)) else [items]


def storage_usage(stores: Any, *, namespaces: Any = None, pending: Any = None) -> list[NamespaceUsage]:
    """The data :func:`plot_storage` draws, one :class:`NamespaceUsage` per namespace."""
    usages = [namespace_usage(s) for s in _stores(stores, namespaces)]
    tiered = [stores] if isinstance(stores, TieredCache) else (
        [s for s in stores if isinstance(s, TieredCache)] if isinstance(stores, (list, tuple)) else [])
    for cache in tiered:
        for u in usages:
            if (u.app_id, u.user_id) == (cache.store.app_id, cache.store.user_id) and u.file_tier is None:
                u.file_tier = file_tier_usage(cache)
                break
    _pending_map(pending, usages)
    return usages


def _colours(usages: Sequence[NamespaceUsage]) -> dict[str, str]:
    names: list[str] = []
    for u in usages:
        for name in [m.key for m in u.models] + [p.name for p in u.pending]:
            if name not in names:
                names.append(name)
    return {n: MODEL_COLOURS[i % len(MODEL_COLOURS)] for i, n in enumerate(names)}


def _lighten(colour: str, amount: float) -> tuple[float, float, float]:
    from matplotlib.colors import to_rgb

    r, g, b = to_rgb(colour)
    return (r + (1 - r) * amount, g + (1 - g) * amount, b + (1 - b) * amount)


def plot_storage(stores: Any, *, pending: Any = None, namespaces: Any = None, ax: Any = None,
                 title: str | None = None) -> Any:
    """Stacked bars of storage use against the cap, one per ``(app_id, user_id)`` namespace.

    ``stores``: a WxStorage or a list of them; ``namespaces="all"`` adds every namespace in
    the storage's file (or give a list of ``(app_id, user_id)``). ``pending``: models that
    were attempted but not saved (LoadReports with ``saved=False``, ``(name, bytes_needed)``
    pairs or :class:`PendingModel`), drawn past the cap with a warning; a list goes to the
    first namespace, a dict maps ``(app_id, user_id)`` to its own list. Returns the Figure.
    """
    usages = storage_usage(stores, namespaces=namespaces, pending=pending)
    return draw_storage(usages, ax=ax, title=title)


def draw_storage(usages: Sequence[NamespaceUsage], *, ax: Any = None, title: str | None = None) -> Any:
    """Draw :class:`NamespaceUsage` data (see :func:`plot_storage`)."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    n = len(usages)
    if ax is None:
        fig, ax = new_figure(4.2 + 4.0 * n, 6.2)
    else:
        fig = ax.figure
    colours = _colours(usages)
    slot, width = 2.2, 0.7
    top = max(max(u.limit_bytes, u.used_bytes + sum(p.bytes_needed for p in u.pending)) for u in usages)
    tier_lines = max((2 + len(u.file_tier.models) for u in usages if u.file_tier is not None), default=0)
    ymax = mib(top) * (1.12 + 0.055 * tier_lines)  # room above the cap for the file tier's box
    line_h = ymax * 0.045  # height of one line of annotation text, in data units

    for i, u in enumerate(usages):
        x = i * slot
        bottom = 0.0
        notes: list[tuple[float, str, str]] = []  # (y wanted, text, colour)

        def seg(height_b: float, face: Any, hatch: str | None = None, edge: str = "white",
                gid: str = "", **kw: Any) -> None:
            nonlocal bottom
            if height_b <= 0:
                return
            h = mib(height_b)
            ax.bar(x, h, width, bottom=bottom, color=face, edgecolor=edge, hatch=hatch,
                   linewidth=0.6, gid=gid, **kw)
            bottom += h

        if u.other_bytes:
            start = bottom
            seg(u.other_bytes, GREY, gid="other")
            notes.append(((start + bottom) / 2, f"other keys ({u.other_keys}): {human_bytes(u.other_bytes)}", "#555"))
        for m in u.models:
            c = colours[m.key]
            start = bottom
            seg(m.info_bytes, _lighten(c, 0.65), gid=f"info:{m.key}")
            seg(m.topology_bytes, _lighten(c, 0.4), gid=f"topology:{m.key}")
            raw = m.raw_weight_bytes if m.raw_weight_bytes is not None else m.weight_bytes
            raw = min(raw, m.weight_bytes)
            seg(raw, c, gid=f"weights:{m.key}")
            seg(m.weight_bytes - raw, _lighten(c, 0.45), hatch="///", edge=c, gid=f"base64:{m.key}")
            form = m.quantization or "float32"
            text = f"{label(m.key, 30)} ({form}{', local storage' if u.file_tier is not None else ''})\n"
            if m.raw_weight_bytes is not None:
                text += f"weights {human_bytes(m.raw_weight_bytes)} raw \u2192 {human_bytes(m.weight_bytes)} as base64"
            else:
                text += f"weight chunks {human_bytes(m.weight_bytes)}"
            text += f"\ntopology {human_bytes(m.topology_bytes)}, info {human_bytes(m.info_bytes)}"
            notes.append(((start + bottom) / 2, text, c))
        used_top = bottom

        # the free space up to the cap: an empty dashed box with its size written in it
        free_h = mib(u.free_bytes)
        if free_h > 0:
            ax.bar(x, free_h, width, bottom=used_top, facecolor="none", edgecolor="#888",
                   linestyle=(0, (3, 3)), linewidth=0.9, gid="free")
            if not u.pending:
                ax.text(x, used_top + free_h / 2, f"free\n{human_bytes(u.free_bytes)}", ha="center",
                        va="center", fontsize=9, color="#555")
        cap = mib(u.limit_bytes)
        ax.hlines(cap, x - width * 0.8, x + width * 0.8, colors=WARN, linewidth=2.4, gid="cap", zorder=5)
        cap_text = f"{human_bytes(u.limit_bytes)} cap"
        ax.text(x - width * 0.8, cap + line_h * 0.15, cap_text, color=WARN, fontsize=8, fontweight="bold",
                ha="left", va="bottom", zorder=6, bbox=dict(facecolor="white", edgecolor="none", pad=1))

        ghost_bottom = used_top
        for p in u.pending:
            h = mib(p.bytes_needed)
            ax.bar(x, h, width, bottom=ghost_bottom, facecolor=(1, 1, 1, 0.6), edgecolor=WARN,
                   hatch="xx", linestyle="--", linewidth=1.4, gid=f"pending:{p.name}")
            ax.bar(x, h, width, bottom=ghost_bottom, facecolor=_lighten(colours[p.name], 0.7) + (0.35,),
                   edgecolor="none")
            ax.text(x, ghost_bottom + h, "\u26a0", ha="center", va="bottom", fontsize=20, color=WARN,
                    gid="warning")
            need = (f"weights {human_bytes(p.raw_weight_bytes)} raw \u2192 needs {human_bytes(p.bytes_needed)} as base64"
                    if p.raw_weight_bytes else f"needs {human_bytes(p.bytes_needed)}")
            text = (f"\u26a0 {label(p.name, 30)} did NOT fit\n"
                    f"{need},\nonly {human_bytes(u.free_bytes)} free: not saved")
            notes.append((ghost_bottom + h * 0.8, text, WARN))
            ghost_bottom += h
        if u.pending:
            notes.append((used_top + min(free_h, 0.6) / 2, f"free {human_bytes(u.free_bytes)}", "#555"))

        _place_notes(ax, x + width / 2 + 0.08, notes, line_h, ymax)
        if u.file_tier is not None:
            ft = u.file_tier
            lines = [f"file storage tier ({label(Path(ft.folder).name, 24)}): "
                     f"{human_bytes(ft.used_bytes)} of {human_bytes(ft.limit_bytes)}"]
            lines += [f"  {label(m.key, 30)} ({m.quantization or 'as-is'}): {human_bytes(m.total_bytes)} raw, no base64"
                      for m in ft.models] or ["  no models"]
            ax.text(x - width / 2, ymax * 0.985, "\n".join(lines), ha="left", va="top", fontsize=8,
                    color="#37474f", gid="file-tier",
                    bbox=dict(facecolor="#eceff1", edgecolor="#90a4ae", boxstyle="round,pad=0.3"))
    caps = {u.limit_bytes for u in usages}
    cap_label = (f"cap: {human_bytes(next(iter(caps)))} per user per mini-program" if len(caps) == 1
                 else "cap of each namespace")
    ax.set_xticks([i * slot for i in range(n)], [_tick(u) for u in usages])
    ax.set_xlim(-width, (n - 1) * slot + slot * 0.95)
    ax.set_ylim(0, ymax)
    ax.set_ylabel(f"storage used ({MIB_LABEL})")
    ax.set_xlabel("namespace: one WeChat user inside one mini-program (isolated from the others)")
    ax.grid(axis="y", alpha=0.25)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if title is None:
        failed = sum(len(u.pending) for u in usages)
        title = (f"WeChat-style storage of {n} namespace{'s' if n > 1 else ''}" if n > 1
                 else "WeChat-style storage") + (
            f": {failed} model{'s' if failed > 1 else ''} did not fit" if failed else "")
    ax.set_title(label(title, 90), fontsize=12, fontweight="bold")

    handles = [
        Patch(facecolor="#607d8b", label="weights (raw bytes)"),
        Patch(facecolor=_lighten("#607d8b", 0.45), edgecolor="#607d8b", hatch="///",
              label="base64 overhead (+33%)"),
        Patch(facecolor=_lighten("#607d8b", 0.4), label="topology (model_without_weight)"),
        Patch(facecolor=_lighten("#607d8b", 0.65), label="info + chunk count"),
        Patch(facecolor=GREY, label="other keys"),
        Patch(facecolor="none", edgecolor="#888", linestyle="--", label="free space"),
        Patch(facecolor="white", edgecolor=WARN, hatch="xx", linestyle="--", label="\u26a0 attempted, did not fit"),
        Line2D([], [], color=WARN, linewidth=2.2, label=cap_label),
    ]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3 if n == 1 else 4,
              fontsize=8, frameon=False, title="colour = model; fill = kind of entry", title_fontsize=8)
    return fig


def _tick(u: NamespaceUsage) -> str:
    pct = 100.0 * u.used_bytes / u.limit_bytes if u.limit_bytes else 0.0
    return (f"app: {label(u.app_id, 20)}, user: {label(u.user_id, 20)}\n"
            f"{human_bytes(u.used_bytes)} used ({pct:.0f}%), {human_bytes(u.free_bytes)} free")


def _place_notes(ax: Any, x: float, notes: list[tuple[float, str, str]], line_h: float, ymax: float) -> None:
    """Write each note beside the bar at its height, pushed apart so none overlap."""
    notes = sorted(notes, key=lambda n: n[0])
    placed: list[tuple[float, float, str, str]] = []
    floor = line_h * 0.6
    for want, text, colour in notes:
        lines = text.count("\n") + 1
        half = lines * line_h / 2
        y = max(want, floor + half)
        placed.append((want, y, text, colour))
        floor = y + half + line_h * 0.25
    overflow = floor - ymax
    if overflow > 0:  # shift everything down as far as the bottom allows
        placed = [(w, y - overflow, t, c) for w, y, t, c in placed]
    for want, y, text, colour in placed:
        ax.annotate(text, (x - 0.08, want), xytext=(x + 0.05, y), textcoords="data", ha="left",
                    va="center", fontsize=8, color=colour,
                    arrowprops=dict(arrowstyle="-", color=colour, lw=0.6, shrinkA=0, shrinkB=0))
