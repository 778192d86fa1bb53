"""Model management over a storage: list, remove, copy, move (TensorFlow.js's ``tf.io.*Model``)."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any, Union

from ..errors import ModelLoadError, TfcacheError, quoted
from ..format.artifacts import ModelArtifactsInfo
from ..storage.base import KeyValueStorage
from .file_storage_io import FileStorageIO
from .folder_io import FolderIO
from .handler import IOHandler
from .local_storage_io import KEY_PREFIX, LocalStorageIO, local_storage_io, model_key_from_info_key
from .router import io_for
from .tiered_cache import FILE, LOCAL, TieredCache


def list_models(store: KeyValueStorage | TieredCache) -> dict[str, ModelArtifactsInfo]:
    """Every model saved in ``store`` under the plugin's key scheme, by key.

    For a :class:`TieredCache`, the models of both tiers, each info's ``tier`` saying which
    holds it (``"local"`` or ``"file"``).
    """
    if isinstance(store, TieredCache):
        return _list_tiered(store)
    models: dict[str, ModelArtifactsInfo] = {}
    for storage_key in store.keys():
        if not storage_key.startswith(KEY_PREFIX + "/"):
            continue
        key = model_key_from_info_key(storage_key)
        if key is None:
            continue
        models[key] = _listed_info(local_storage_io(store, key))
    return dict(sorted(models.items()))


def _listed_info(handler: LocalStorageIO | FileStorageIO) -> ModelArtifactsInfo:
    """A stored model's info; a damaged info still names the model, marked as such."""
    try:
        return handler.artifacts_info() or ModelArtifactsInfo.from_json({})
    except TfcacheError as exc:
        return dataclasses.replace(ModelArtifactsInfo.from_json({}), damaged=str(exc))


def _list_tiered(cache: TieredCache) -> dict[str, ModelArtifactsInfo]:
    found = {key: dataclasses.replace(info, tier=LOCAL) for key, info in list_models(cache.store).items()}
    for key in cache.file_models():
        if key not in found:
            found[key] = dataclasses.replace(_listed_info(cache.file(key)), tier=FILE)
    return dict(sorted(found.items()))


def remove_model(store: KeyValueStorage | TieredCache, key: str) -> ModelArtifactsInfo:
    """Remove every key of model ``key`` (from both tiers of a :class:`TieredCache`);
    a model that is not there is an error."""
    handlers: list[Any] = list(store.entries(key)) if isinstance(store, TieredCache) else [local_storage_io(store, key)]
    info = next((h.artifacts_info() for h in handlers if h.exists()), None)
    removed = [h.remove() for h in handlers]
    if not any(removed):
        raise ModelLoadError(f"there is no model named {quoted(key)} in this storage.")
    return info or ModelArtifactsInfo.from_json({})


ModelRef = Union[IOHandler, str, "os.PathLike[str]"]


def _handler(ref: ModelRef, store: KeyValueStorage | None) -> Any:
    if hasattr(ref, "load"):
        return ref
    return io_for(ref, store=store) if isinstance(ref, str) else io_for(ref)


def _storage_location(store: KeyValueStorage) -> object:
    """What two storage objects share when they are views of the same data."""
    path = getattr(store, "path", None)
    if path is not None and str(path) != ":memory:":
        return str(Path(path).resolve())
    return id(getattr(store, "_db", None) or getattr(store, "_space", None) or store)


def _identity(handler: Any) -> tuple[object, ...] | None:
    """Where a handler's model lives, so a copy or move onto itself can be recognised."""
    if isinstance(handler, LocalStorageIO):
        store = handler.store
        return ("storage", _storage_location(store), store.app_id, store.user_id, handler.key)
    if isinstance(handler, FileStorageIO):
        return ("file", str(handler.info_path.resolve()))
    if isinstance(handler, FolderIO):
        return ("folder", str(handler.model_json.resolve()))
    return None


def copy_model(source: ModelRef, dest: ModelRef, *, store: KeyValueStorage | None = None) -> ModelArtifactsInfo:
    """Copy a model between IO handlers, URLs or paths, as ``tf.io.copyModel`` does.

    ``copy_model(local_storage_io(a, "m"), local_storage_io(b, "m"))``,
    ``copy_model("wxstorage://a", "wxstorage://b", store=s)`` (keys in ``store``) or
    ``copy_model("https://.../model.json", "wxstorage://m", store=s)``.
    """
    src, dst = _handler(source, store), _handler(dest, store)
    if not getattr(dst, "can_save", False):
        raise ModelLoadError(f"cannot copy a model to {dest!r}: that destination is load-only.")
    if _identity(src) is not None and _identity(src) == _identity(dst):
        raise ModelLoadError(f"cannot copy a model onto itself ({source!r}).")
    artifacts = src.load()
    if isinstance(src, LocalStorageIO) and isinstance(dst, LocalStorageIO):
        meta = src.read_metadata()
        return dst.save(artifacts, metadata=meta).model_artifacts_info
    return dst.save(artifacts).model_artifacts_info


def move_model(source: ModelRef, dest: ModelRef, *, store: KeyValueStorage | None = None) -> ModelArtifactsInfo:
    """Copy, then remove the source once the copy is saved (the source must be removable).

    Moving a model onto itself is refused, as ``copy_model`` refuses it: nothing is lost.
    """
    src, dst = _handler(source, store), _handler(dest, store)
    if not hasattr(src, "remove"):
        raise ModelLoadError(f"cannot move a model from {source!r}: that source cannot be removed.")
    info = copy_model(src, dst)
    src.remove()
    return info
