"""The converter's on-disk layout: a folder with model.json and binary weight shards.

Writing puts every weight in one group, cut into shards ``group1-shard{i}of{n}`` of at most
4 MB (the converter's default, the largest file every major browser caches). Writing is
atomic: all files go to temporary names in the folder first, the shards are moved into place,
and model.json last, so a reader never sees a model.json whose shards are missing.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Mapping, Sequence

from .._atomic import write_temp
from ..errors import InvalidArgumentError, ModelFormatError, ModelLoadError, StorageError
from .artifacts import ModelArtifacts
from .jsjson import js_dumps
from .manifest import group_byte_length, validate_manifest

MODEL_JSON = "model.json"
DEFAULT_SHARD_BYTES = 4 * 1024 * 1024


def shard_weights(specs: Sequence[Mapping[str, Any]], data: bytes, max_shard_bytes: int = DEFAULT_SHARD_BYTES,
                  group_name: str = "group1") -> tuple[list[dict[str, Any]], list[tuple[str, bytes]]]:
    """A one-group weights manifest and its shards ``(path, bytes)``, each at most ``max_shard_bytes``."""
    if isinstance(max_shard_bytes, bool) or not isinstance(max_shard_bytes, int) or max_shard_bytes <= 0:
        raise InvalidArgumentError(f"max_shard_bytes must be a positive integer, not {max_shard_bytes!r}.")
    if not specs:
        return [], []
    count = -(-len(data) // max_shard_bytes)
    shards = [(f"{group_name}-shard{i + 1}of{count}", bytes(data[i * max_shard_bytes:(i + 1) * max_shard_bytes]))
              for i in range(count)]
    manifest = [{"paths": [path for path, _ in shards], "weights": [dict(s) for s in specs]}]
    return manifest, shards


def write_model_files(folder: str | os.PathLike[str], artifacts: ModelArtifacts, *,
                      max_shard_bytes: int = DEFAULT_SHARD_BYTES) -> list[Path]:
    """Write model.json and its shards into ``folder`` (created if needed); return their paths.

    The first path is model.json, then the shards in manifest order. Shards that an earlier
    model.json in the folder listed and the new one does not are removed afterwards.
    """
    artifacts.check_weight_data()
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    manifest, shards = shard_weights(artifacts.weight_specs, artifacts.weight_data, max_shard_bytes)
    model_json = js_dumps(artifacts.to_model_json(manifest)).encode("utf-8")
    stale = _listed_shards(target) - {name for name, _ in shards}

    temps: list[tuple[str, Path]] = []
    try:
        for name, payload in [*shards, (MODEL_JSON, model_json)]:
            temps.append((name, write_temp(target, payload)))
        for name, temp in temps:  # model.json is last in the list
            os.replace(temp, target / name)
    except OSError as exc:
        for _, temp in temps:
            temp.unlink(missing_ok=True)
        raise StorageError(f"could not write the model files in '{target}': {exc.strerror or exc}.") from None
    for name in stale:
        (target / name).unlink(missing_ok=True)
    return [target / MODEL_JSON] + [target / name for name, _ in shards]


def _listed_shards(folder: Path) -> set[str]:
    """Shard files an existing model.json in ``folder`` lists (those safely inside it)."""
    try:
        doc = json.loads((folder / MODEL_JSON).read_text(encoding="utf-8"))
        groups = validate_manifest(doc.get("weightsManifest", []))
    except (OSError, ValueError, AttributeError, ModelFormatError):
        return set()
    names = set()
    for group in groups:
        for path in group["paths"]:
            if _inside(folder, path) is not None:
                names.add(path)
    return names


def _inside(folder: Path, relative: str) -> Path | None:
    """``folder / relative`` if it stays inside ``folder``, else None."""
    if os.path.isabs(relative) or "\\" in relative or "\0" in relative:
        return None
    normal = os.path.normpath(relative)
    if normal in (".", "..") or normal.startswith(".." + os.sep):
        return None
    return folder / normal


def read_model_files(path: str | os.PathLike[str]) -> ModelArtifacts:
    """Artifacts from a model folder or a model.json path, with every group's bytes checked.

    Raises :class:`ModelLoadError` if there is no model.json, and :class:`ModelFormatError`
    naming the file for invalid JSON, a shard path that leaves the folder, a missing shard,
    or shards whose size does not match the manifest.
    """
    given = Path(path)
    model_path = given / MODEL_JSON if given.is_dir() else given
    folder = model_path.parent
    try:
        text = model_path.read_bytes()
    except FileNotFoundError:
        raise ModelLoadError(f"there is no model file at '{model_path}'.", url=str(model_path),
                             cause="not found") from None
    except OSError as exc:
        raise ModelLoadError(f"could not read '{model_path}': {exc.strerror or exc}.", url=str(model_path),
                             cause=exc.strerror or str(exc)) from None
    try:
        doc = json.loads(text.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ModelFormatError(f"'{model_path}' is not valid UTF-8 JSON.") from None
    if not isinstance(doc, Mapping):
        raise ModelFormatError(f"'{model_path}' must hold a JSON object.")
    groups = validate_manifest(doc.get("weightsManifest", []))

    chunks: list[bytes] = []
    for i, group in enumerate(groups):
        group_bytes = b"".join(_read_shard(folder, shard) for shard in group["paths"])
        expected = group_byte_length(group)
        if expected is not None and expected != len(group_bytes):
            raise ModelFormatError(
                f"the shards of weight group {i + 1} ({', '.join(group['paths'])}) hold "
                f"{len(group_bytes)} bytes but the manifest needs {expected}.")
        chunks.append(group_bytes)
    return ModelArtifacts.from_model_json(doc, b"".join(chunks))


def _read_shard(folder: Path, relative: str) -> bytes:
    shard = _inside(folder, relative)
    if shard is None:
        raise ModelFormatError(f"weight shard path '{relative}' points outside the model folder.")
    try:
        return shard.read_bytes()
    except FileNotFoundError:
        raise ModelFormatError(f"weight shard file '{relative}' is missing from '{folder}'.") from None
    except OSError as exc:
        raise ModelFormatError(f"weight shard file '{relative}' cannot be read: {exc.strerror or exc}.") from None


__all__ = ["MODEL_JSON", "DEFAULT_SHARD_BYTES", "shard_weights", "write_model_files", "read_model_files"]
