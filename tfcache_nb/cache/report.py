"""The load report: where a model came from and where the time went."""

from __future__ import annotations

import dataclasses
from typing import Any

from .._html import esc, human_bytes, human_seconds, table


@dataclasses.dataclass
class LoadReport:
    """What one :func:`load_artifacts` call did.

    ``source`` is ``"cache"`` (from storage) or ``"network"`` (from the model's source, be it
    a URL or a local folder: ``origin`` says which). ``phases`` holds seconds per phase
    (``network``, ``storage_read``, ``decode``, ``verify``, ``quantize``, ``evict``, ``save``,
    ``build``...). When the model did not fit, ``bytes_needed`` and ``bytes_free`` say by how
    much, and ``namespace`` is the ``(app_id, user_id)`` of the storage it was meant for.
    """

    source: str = "network"
    url: str | None = None
    origin: str = "http"
    cache_key: str | None = None
    total_s: float = 0.0
    phases: dict[str, float] = dataclasses.field(default_factory=dict)
    bytes_network: int = 0
    bytes_storage: int = 0
    weight_bytes: int = 0
    requests: int = 0
    saved: bool = False
    save_error: str | None = None
    quantization: str | None = None
    evicted: list[str] = dataclasses.field(default_factory=list)
    cache_miss_reason: str | None = None
    cache_error: str | None = None
    revalidated: str | None = None
    stale: bool = False
    namespace: tuple[str, str] | None = None
    bytes_needed: int | None = None
    bytes_free: int | None = None
    #: which tier holds the model: ``"local"`` (WeChat local storage) or ``"file"`` (file storage)
    tier: str | None = None
    #: the stored form's measured drift against the model as fetched (0.0 for the model as it is)
    drift: float | None = None
    #: why drift could not be measured (the model could not be run)
    drift_error: str | None = None
    #: the cache strategy the load followed (``cacheFirst``, ``latest``, ...)
    strategy: str | None = None

    def add_phase(self, name: str, seconds: float) -> None:
        self.phases[name] = self.phases.get(name, 0.0) + seconds

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def summary_lines(self) -> list[str]:
        lines = [f"loaded from {self.source} in {human_seconds(self.total_s)}"
                 + (f" (cache key '{self.cache_key}')" if self.cache_key else "")
                 + (f", strategy {self.strategy}" if self.strategy else "")]
        if self.cache_miss_reason:
            lines.append(f"cache miss: {self.cache_miss_reason}")
        if self.cache_error:
            lines.append(f"cache unavailable: {self.cache_error}")
        if self.revalidated:
            lines.append(f"revalidation: {self.revalidated}")
        if self.stale:
            lines.append("the network could not be reached: used the cached copy, which may be stale")
        lines.append("phases: " + ", ".join(f"{k} {human_seconds(v)}" for k, v in self.phases.items()))
        lines.append(f"bytes over the network: {human_bytes(self.bytes_network)}; "
                     f"in storage: {human_bytes(self.bytes_storage)}")
        if self.source == "network":
            if self.saved:
                lines.append("saved to the cache " + self.stored_form_text())
            elif self.save_error:
                lines.append(f"not saved: {self.save_error}")
        if self.source == "cache" and self.tier:
            lines.append(f"read from {'local storage' if self.tier == 'local' else 'file storage'}")
        if self.evicted:
            lines.append("evicted to make room: " + ", ".join(self.evicted))
        return lines

    def stored_form_text(self) -> str:
        """``as uint8 in local storage, measured drift 0.012``: what was stored, where, at what cost."""
        text = f"as {self.quantization or 'is (not quantized)'}"
        if self.tier:
            text += " in " + ("local storage" if self.tier == "local" else "file storage")
        if self.drift is not None:
            text += f", measured drift {self.drift:.3g}"
        elif self.drift_error:
            text += f", drift not measured: {self.drift_error}"
        return text

    def __str__(self) -> str:
        return "\n".join(self.summary_lines())

    def _repr_html_(self) -> str:
        rows = [("source", self.source), ("from", self.url or "-"), ("cache key", self.cache_key or "-"),
                ("strategy", self.strategy or "-"), ("total", human_seconds(self.total_s))]
        rows += [(f"  {k}", human_seconds(v)) for k, v in self.phases.items()]
        rows += [("bytes over the network", human_bytes(self.bytes_network)),
                 ("bytes in storage", human_bytes(self.bytes_storage))]
        if self.source == "network":
            rows.append(("saved", f"yes, {self.stored_form_text()}" if self.saved
                         else f"no: {self.save_error or 'no cache given'}"))
        for label, value in (("cache miss", self.cache_miss_reason), ("cache error", self.cache_error),
                             ("revalidation", self.revalidated)):
            if value:
                rows.append((label, value))
        if self.stale:
            rows.append(("warning", "network unreachable: the cached copy was used and may be stale"))
        if self.evicted:
            rows.append(("evicted", ", ".join(self.evicted)))
        colour = "#2e7d32" if self.source == "cache" else "#1565c0"
        head = f"<div style='color:{colour};font-family:sans-serif'>Load report: <b>{esc(self.source)}</b></div>"
        return head + table(rows)
