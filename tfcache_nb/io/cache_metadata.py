"""What tfcache_nb records beside a saved model, so a cache can be trusted.

The plugin stores nothing about where a model came from, so a changed model on the server
is never noticed and a damaged entry is used as it is. We keep this record inside the
plugin's own ``info`` entry, under ``tfcacheNb``: the plugin reads only
``modelTopologyType`` from it, so a mini-program could still load what we save.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any, Mapping

METADATA_FIELD = "tfcacheNb"


@dataclasses.dataclass
class CacheMetadata:
    """Integrity and freshness facts about one cached model."""

    sha256: str
    source: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    quantization: str | None = None
    saved_at: float = dataclasses.field(default_factory=time.time)
    last_used: float = dataclasses.field(default_factory=time.time)
    weight_data_bytes: int = 0
    original_weight_bytes: int | None = None
    #: when the server last confirmed this copy (a download or a 304); None: never asked
    checked_at: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "sha256": self.sha256,
            "source": self.source,
            "etag": self.etag,
            "lastModified": self.last_modified,
            "quantization": self.quantization,
            "savedAt": self.saved_at,
            "lastUsed": self.last_used,
            "weightDataBytes": self.weight_data_bytes,
            "originalWeightBytes": self.original_weight_bytes,
            "checkedAt": self.checked_at,
        }

    @classmethod
    def from_json(cls, doc: Any) -> "CacheMetadata | None":
        """The record, or None when absent or not ours (a model the plugin itself saved)."""
        if not isinstance(doc, Mapping) or not isinstance(doc.get("sha256"), str):
            return None

        def num(name: str, default: float) -> float:
            value = doc.get(name)
            return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else default

        def text(name: str) -> str | None:
            value = doc.get(name)
            return value if isinstance(value, str) else None

        original = doc.get("originalWeightBytes")
        checked = doc.get("checkedAt")
        return cls(
            sha256=doc["sha256"],
            source=text("source"),
            etag=text("etag"),
            last_modified=text("lastModified"),
            quantization=text("quantization"),
            saved_at=num("savedAt", 0.0),
            last_used=num("lastUsed", 0.0),
            weight_data_bytes=int(num("weightDataBytes", 0)),
            original_weight_bytes=int(original) if isinstance(original, int) else None,
            checked_at=float(checked) if isinstance(checked, (int, float)) and not isinstance(checked, bool)
            else None,
        )
