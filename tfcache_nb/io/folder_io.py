"""A model folder on disk: model.json plus shards, the layout the TensorFlow.js converter writes."""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import ModelLoadError
from ..format.artifacts import ModelArtifacts
from ..format.files import DEFAULT_SHARD_BYTES, read_model_files, write_model_files
from .handler import SaveResult


class FolderIO:
    """Load from and save to a local folder (or a model.json path inside one)."""

    can_save = True

    def __init__(self, path: str | os.PathLike[str], *, max_shard_bytes: int = DEFAULT_SHARD_BYTES):
        path = Path(path)
        self.folder = path.parent if path.suffix == ".json" else path
        self.model_json = path if path.suffix == ".json" else path / "model.json"
        self.max_shard_bytes = max_shard_bytes

    def __repr__(self) -> str:
        return f"folder_io({str(self.folder)!r})"

    @property
    def url(self) -> str:
        return self.model_json.resolve().as_uri()

    def exists(self) -> bool:
        return self.model_json.is_file()

    def load(self) -> ModelArtifacts:
        if not self.model_json.is_file():
            raise ModelLoadError(f"there is no model.json at {self.model_json}.", url=str(self.model_json),
                                 cause="not found")
        return read_model_files(self.model_json)

    def save(self, artifacts: ModelArtifacts) -> SaveResult:
        """Write model.json plus shards of at most 4 MB, creating the folder if needed."""
        write_model_files(self.folder, artifacts, max_shard_bytes=self.max_shard_bytes)
        return SaveResult(model_artifacts_info=artifacts.info())


def folder_io(path: str | os.PathLike[str], *, max_shard_bytes: int = DEFAULT_SHARD_BYTES) -> FolderIO:
    """An IO handler for a local model folder or model.json path."""
    return FolderIO(path, max_shard_bytes=max_shard_bytes)
