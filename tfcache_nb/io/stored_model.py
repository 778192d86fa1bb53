"""What the plugin's two storage handlers share: the info entry and the checks made on load.

``local_storage_io`` (base64 chunks in a key-value storage) and ``file_storage_io`` (raw
files) keep the same ``info`` document, with tfcache_nb's record under ``tfcacheNb``, and
check what they read the same way, so a damaged entry is reported alike whichever holds it.
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from typing import Any

from ..errors import CacheIntegrityError, quoted
from ..format.artifacts import ModelArtifacts, ModelArtifactsInfo
from .cache_metadata import METADATA_FIELD, CacheMetadata
from .handler import SaveResult


class StoredModel(ABC):
    """One model saved under a name in a WeChat-style storage."""

    can_save = True
    key: str

    @abstractmethod
    def read_info(self) -> dict[str, Any] | None:
        """The parsed info document, or None when the model is not there."""

    @abstractmethod
    def info_text(self) -> str | None:
        """The info entry exactly as stored: a fingerprint of one saved version."""

    @abstractmethod
    def exists(self) -> bool: ...

    @abstractmethod
    def load(self, *, verify: bool = True) -> ModelArtifacts: ...

    @abstractmethod
    def save(self, artifacts: ModelArtifacts, *, metadata: CacheMetadata | None = None) -> SaveResult: ...

    @abstractmethod
    def write_metadata(self, metadata: CacheMetadata) -> None: ...

    @abstractmethod
    def stored_bytes(self) -> int: ...

    @abstractmethod
    def remove(self, *, only_if_info: str | None = None) -> bool:
        """Remove the model; with ``only_if_info``, only if its info entry is still that text
        (so a damaged copy is dropped without touching a fresh one another process just saved)."""

    def read_metadata(self) -> CacheMetadata | None:
        info = self.read_info()
        return None if info is None else CacheMetadata.from_json(info.get(METADATA_FIELD))

    def artifacts_info(self) -> ModelArtifactsInfo | None:
        info = self.read_info()
        return None if info is None else ModelArtifactsInfo.from_json(info)

    def verify_weights(self, info: dict[str, Any], data: bytes, hasher: Any = None) -> None:
        """The byte count the info promises and the SHA-256 the cache recorded, or an error."""
        expected = info.get("weightDataBytes")
        if isinstance(expected, int) and expected != len(data):
            raise CacheIntegrityError(
                f"cached model {quoted(self.key)} holds {len(data)} weight bytes but its info says {expected}.")
        meta = CacheMetadata.from_json(info.get(METADATA_FIELD))
        if meta is None:
            return
        digest = hasher.hexdigest() if hasher is not None else hashlib.sha256(data).hexdigest()
        if digest != meta.sha256:
            raise CacheIntegrityError(f"the weights of cached model {quoted(self.key)} fail their SHA-256 check.")
