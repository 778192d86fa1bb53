"""The WeChat plugin's ``fileStorageIO(prefix)``: raw binary files, no base64.

Files: ``<folder>/tensorflowjs_models/<prefix>_info.json``, ``<prefix>_model_without_weight.json``
and ``<prefix>_weight_data`` (raw bytes), as the plugin writes them under
``wx.env.USER_DATA_PATH``. Each file is written to a temporary name and moved into place,
info last, so a reader never sees a half-written file; the cache's SHA-256 record catches a
weight file whose info is from another save.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from .._atomic import atomic_write
from ..errors import CacheIntegrityError, InvalidArgumentError, ModelFormatError, ModelLoadError, StorageError, quoted
from ..format.artifacts import ModelArtifacts, ModelArtifactsInfo
from ..format.jsjson import js_dumps
from .cache_metadata import METADATA_FIELD, CacheMetadata
from .handler import SaveResult
from .stored_model import StoredModel

MODELS_DIR = "tensorflowjs_models"


class FileStorageIO(StoredModel):
    """Save and load one model as three files in a folder (the plugin's file storage)."""


    def __init__(self, folder: str | os.PathLike[str], prefix: str):
        if not isinstance(prefix, str) or not prefix or "/" in prefix or "\\" in prefix or prefix in (".", ".."):
            raise InvalidArgumentError(f"a file storage model key must be a non-empty name without path separators "
                                       f"(it names a folder's files), not {prefix!r}.")
        self.folder = Path(folder)
        self.prefix = prefix
        base = self.folder / MODELS_DIR
        self.info_path = base / f"{prefix}_info.json"
        self.model_path = base / f"{prefix}_model_without_weight.json"
        self.weight_path = base / f"{prefix}_weight_data"

    @property
    def key(self) -> str:
        return self.prefix

    def __repr__(self) -> str:
        return f"file_storage_io({str(self.folder)!r}, {self.prefix!r})"

    def planned_files(self, artifacts: ModelArtifacts,
                      metadata: CacheMetadata | None = None) -> dict[Path, bytes]:
        """Every file a save of ``artifacts`` writes, with its bytes, in writing order (info last)."""
        info_doc: dict[str, Any] = artifacts.info().to_json()
        if metadata is not None:
            info_doc[METADATA_FIELD] = metadata.to_json()
        return {self.weight_path: artifacts.weight_data,
                self.model_path: js_dumps(artifacts.without_weights_json()).encode("utf-8"),
                self.info_path: js_dumps(info_doc).encode("utf-8")}

    def save(self, artifacts: ModelArtifacts, *, metadata: CacheMetadata | None = None,
             files: dict[Path, bytes] | None = None) -> SaveResult:
        """Write the three files, each atomically and the info last (``files``: as planned)."""
        if files is None:
            files = self.planned_files(artifacts, metadata)
        try:
            self.info_path.parent.mkdir(parents=True, exist_ok=True)
            for path, data in files.items():
                atomic_write(path, data)
        except OSError as exc:
            raise StorageError(f"could not save model {quoted(self.prefix)} to {self.folder}: {exc.strerror or exc}.") from None
        return SaveResult(model_artifacts_info=ModelArtifactsInfo.from_json(json.loads(files[self.info_path])))

    def write_metadata(self, metadata: CacheMetadata) -> None:
        info_doc = self.read_info()
        if info_doc is None:
            raise ModelLoadError(f"there is no model named {quoted(self.prefix)} in file storage {self.folder}.")
        info_doc[METADATA_FIELD] = metadata.to_json()
        try:
            atomic_write(self.info_path, js_dumps(info_doc).encode("utf-8"))
        except OSError as exc:
            raise StorageError(f"could not update model {quoted(self.prefix)} in {self.folder}: {exc.strerror or exc}.") from None

    def exists(self) -> bool:
        return self.info_path.is_file()

    def read_info(self) -> dict[str, Any] | None:
        try:
            text = self.info_path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StorageError(f"could not read {self.info_path}: {exc.strerror or exc}.") from None
        try:
            doc = json.loads(text)
        except ValueError:
            raise CacheIntegrityError(f"the info file of model {quoted(self.prefix)} is not valid JSON.") from None
        if not isinstance(doc, dict):
            raise CacheIntegrityError(f"the info file of model {quoted(self.prefix)} is not an object.")
        return doc

    def info_text(self) -> str | None:
        try:
            return self.info_path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as exc:
            raise StorageError(f"could not read {self.info_path}: {exc}.") from None

    def load(self, *, verify: bool = True) -> ModelArtifacts:
        info = self.read_info()
        if info is None:
            raise ModelLoadError(f"there is no model named {quoted(self.prefix)} in file storage {self.folder}.")
        try:
            doc = json.loads(self.model_path.read_text(encoding="utf-8"))
            data = self.weight_path.read_bytes()
        except FileNotFoundError as exc:
            raise CacheIntegrityError(f"cached model {quoted(self.prefix)} is missing {Path(exc.filename).name}.") from None
        except ValueError:
            raise CacheIntegrityError(f"the topology file of model {quoted(self.prefix)} is not valid JSON.") from None
        except OSError as exc:
            raise StorageError(f"could not read model {quoted(self.prefix)}: {exc.strerror or exc}.") from None
        if verify:
            self.verify_weights(info, data)
        try:
            return ModelArtifacts.from_artifacts_json(doc, data)
        except ModelFormatError as exc:
            raise CacheIntegrityError(f"cached model {quoted(self.prefix)} is damaged: {exc}") from None

    def stored_bytes(self) -> int:
        return sum(p.stat().st_size for p in (self.info_path, self.model_path, self.weight_path) if p.is_file())

    def remove(self, *, only_if_info: str | None = None) -> bool:
        if only_if_info is not None and self.info_text() != only_if_info:
            return False
        found = False
        for path in (self.info_path, self.model_path, self.weight_path):
            try:
                path.unlink()
                found = True
            except FileNotFoundError:
                pass
        return found


def file_storage_io(folder: str | os.PathLike[str], prefix: str) -> FileStorageIO:
    """The plugin's ``fileStorageIO(prefix)`` with ``folder`` as ``wx.env.USER_DATA_PATH``."""
    return FileStorageIO(folder, prefix)


def list_file_models(folder: str | os.PathLike[str]) -> list[str]:
    """The prefixes of every model saved in a file storage folder."""
    base = Path(folder) / MODELS_DIR
    suffix = "_info.json"
    if not base.is_dir():
        return []
    return sorted(p.name[: -len(suffix)] for p in base.iterdir() if p.name.endswith(suffix))
