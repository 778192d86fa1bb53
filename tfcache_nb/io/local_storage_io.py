"""The WeChat plugin's ``localStorageIO(key)``, in a :class:`KeyValueStorage`.

Keys and values are the plugin's own, so what a user sees in storage is what a mini-program
would hold: ``tensorflowjs_models/<key>/info`` and ``/model_without_weight`` hold JSON text
(stored as strings, as the plugin's ``JSON.stringify`` does), ``/weight_data_size`` the
number of chunks, and ``/weight_data:<i>`` the weights as base64 in chunks of at most
800 x 1024 characters, so each value stays under WeChat's 1 MB per key.

Better than the plugin: a save is one atomic storage transaction (all keys or none, stale
chunks of an older copy removed in the same step), and a load checks what it reads (chunk
count, byte count, base64, and the SHA-256 recorded by the cache) so a damaged entry is
reported, never used.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import json
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from ..errors import CacheIntegrityError, InvalidArgumentError, ModelFormatError, ModelLoadError, StorageError, quoted
from ..format.artifacts import ModelArtifacts, ModelArtifactsInfo
from ..format.jsjson import js_dumps
from ..storage.base import KeyValueStorage
from .cache_metadata import METADATA_FIELD, CacheMetadata
from .handler import SaveResult
from .stored_model import StoredModel

KEY_PREFIX = "tensorflowjs_models"
_HASHER: ThreadPoolExecutor | None = None
_HASHER_LOCK = threading.Lock()


def _hash_worker() -> ThreadPoolExecutor:
    """One shared background thread for hashing chunks while the next one decodes."""
    global _HASHER
    with _HASHER_LOCK:
        if _HASHER is None:
            _HASHER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tfcache-hash")
        return _HASHER
CHUNK_CHARS = 800 * 1024


@dataclasses.dataclass(frozen=True)
class ModelKeys:
    """The storage keys of one model under the plugin's scheme."""

    info: str
    model_without_weight: str
    weight_data_size: str
    weight_data: str

    def chunk(self, index: int) -> str:
        return f"{self.weight_data}:{index}"


def model_keys(key: str) -> ModelKeys:
    base = f"{KEY_PREFIX}/{key}"
    return ModelKeys(f"{base}/info", f"{base}/model_without_weight",
                     f"{base}/weight_data_size", f"{base}/weight_data")


def model_key_from_info_key(storage_key: str) -> str | None:
    """``tensorflowjs_models/<key>/info`` -> ``<key>``; None for any other key."""
    head, tail = f"{KEY_PREFIX}/", "/info"
    if storage_key.startswith(head) and storage_key.endswith(tail) and len(storage_key) > len(head) + len(tail):
        return storage_key[len(head):-len(tail)]
    return None


def _check_key(key: Any) -> str:
    if not isinstance(key, str) or not key:
        raise InvalidArgumentError(f"a model key must be a non-empty string, not {key!r}.")
    return key


def _parse_json_text(value: Any, what: str) -> Any:
    """The plugin stores JSON.stringify(...) as a string; tolerate an object stored directly."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError as exc:
            raise CacheIntegrityError(f"the stored {what} is not valid JSON ({exc.msg}).") from None
    return value


def _chunk_text(json_text: str) -> str:
    """A stored base64 chunk from its JSON text, without a full JSON parse when it is plain."""
    if len(json_text) >= 2 and json_text[0] == '"' and json_text[-1] == '"' and "\\" not in json_text:
        return json_text[1:-1]
    value = json.loads(json_text)
    if not isinstance(value, str):
        raise ValueError("not a string")
    return value


class LocalStorageIO(StoredModel):
    """Save and load one model under ``key`` in a WeChat-style storage."""


    def __init__(self, store: KeyValueStorage, key: str):
        self.store = store
        self.key = _check_key(key)
        self.keys = model_keys(key)
        self.last_timings: dict[str, float] = {}

    def __repr__(self) -> str:
        return f"local_storage_io({self.store!r}, {self.key!r})"

    # ----------------------------------------------------------------- saving
    def planned_items(self, artifacts: ModelArtifacts,
                      metadata: CacheMetadata | None = None) -> dict[str, Any]:
        """Every key and value a save of ``artifacts`` would write (to size it beforehand)."""
        info_doc: dict[str, Any] = artifacts.info().to_json()
        if metadata is not None:
            info_doc[METADATA_FIELD] = metadata.to_json()
        b64 = base64.b64encode(artifacts.weight_data).decode("ascii")
        chunks = [b64[i:i + CHUNK_CHARS] for i in range(0, len(b64), CHUNK_CHARS)]
        items: dict[str, Any] = {
            self.keys.info: js_dumps(info_doc),
            self.keys.model_without_weight: js_dumps(artifacts.without_weights_json()),
            self.keys.weight_data_size: len(chunks),
        }
        for i, chunk in enumerate(chunks):
            items[self.keys.chunk(i)] = chunk
        return items

    def save(self, artifacts: ModelArtifacts, *, metadata: CacheMetadata | None = None,
             items: dict[str, Any] | None = None) -> SaveResult:
        """Write every key of the model in one atomic step; on failure nothing changes."""
        if items is None:
            items = self.planned_items(artifacts, metadata)
        stale = [k for k in self._chunk_keys_present() if k not in items]
        self.store.update(items, stale)
        return SaveResult(model_artifacts_info=ModelArtifactsInfo.from_json(
            json.loads(items[self.keys.info])))

    def write_metadata(self, metadata: CacheMetadata) -> None:
        """Rewrite only the info entry's record (e.g. the last-used time).

        Read and write are one atomic step, and the record is written only over the same
        version of the model, so a model another process just replaced or removed is
        never given a stale record (or an info entry without its weights).
        """
        with self.store.snapshot(write=True):
            info_doc = self.read_info()
            if info_doc is None:
                raise ModelLoadError(f"there is no model named {quoted(self.key)} in local storage.")
            current = CacheMetadata.from_json(info_doc.get(METADATA_FIELD))
            if current is not None and current.sha256 != metadata.sha256:
                return  # another process replaced the model meanwhile: its own record stands
            info_doc[METADATA_FIELD] = metadata.to_json()
            self.store.set(self.keys.info, js_dumps(info_doc))

    # ----------------------------------------------------------------- reading
    def exists(self) -> bool:
        return self.keys.info in self.store

    def _get(self, key: str, what: str) -> Any:
        """A stored value; text that is not JSON is a damaged entry, not a crash."""
        text = self.store.get_text(key)
        if text is None:
            return None
        try:
            return json.loads(text)
        except ValueError:
            raise CacheIntegrityError(f"the stored {what} of model {quoted(self.key)} is not valid JSON.") from None

    def read_info(self) -> dict[str, Any] | None:
        """The parsed info entry, or None when the model is not there."""
        raw = self._get(self.keys.info, "info")
        if raw is None:
            return None
        doc = _parse_json_text(raw, f"info of model {quoted(self.key)}")
        if not isinstance(doc, dict):
            raise CacheIntegrityError(f"the stored info of model {quoted(self.key)} is not an object.")
        return doc

    def info_text(self) -> str | None:
        return self.store.get_text(self.keys.info)

    def load(self, *, verify: bool = True) -> ModelArtifacts:
        """The model's artifacts; a damaged entry raises :class:`CacheIntegrityError`.

        All keys are read in one storage snapshot, so a save or remove by another process
        at the same moment cannot make a sound entry look damaged.
        """
        with self.store.snapshot():
            return self._load(verify)

    def _load(self, verify: bool) -> ModelArtifacts:
        started = time.perf_counter()
        info = self.read_info()
        if info is None:
            raise ModelLoadError(f"there is no model named {quoted(self.key)} in local storage.")
        if info.get("modelTopologyType", "JSON") != "JSON":
            raise ModelFormatError(f"model {quoted(self.key)} in local storage has a non-JSON topology.")
        doc = _parse_json_text(self._get(self.keys.model_without_weight, "topology"),
                               f"topology of model {quoted(self.key)}")
        if doc is None:
            raise CacheIntegrityError(f"cached model {quoted(self.key)} has no model_without_weight entry.")
        count = self._get(self.keys.weight_data_size, "chunk count")
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise CacheIntegrityError(f"cached model {quoted(self.key)} has no valid weight_data_size entry.")
        t0_chunks = time.perf_counter()
        meta = CacheMetadata.from_json(info.get(METADATA_FIELD)) if verify else None
        hasher = hashlib.sha256() if meta is not None else None
        pieces: list[bytes] = []
        hashing: Future[None] | None = None
        read_s = decode_s = 0.0
        for i in range(count):
            t0 = time.perf_counter()
            text = self.store.get_text(self.keys.chunk(i))
            t1 = time.perf_counter()
            read_s += t1 - t0
            if text is None:
                raise CacheIntegrityError(f"cached model {quoted(self.key)} is missing weight chunk {i} of {count}.")
            try:
                piece = binascii.a2b_base64(_chunk_text(text), strict_mode=True)
            except (binascii.Error, ValueError):
                raise CacheIntegrityError(
                    f"weight chunk {i} of cached model {quoted(self.key)} is not valid base64.") from None
            decode_s += time.perf_counter() - t1
            if hasher is not None:
                # SHA-256 releases the GIL: hash this chunk on the other core while the next decodes
                if hashing is not None:
                    hashing.result()
                hashing = _hash_worker().submit(hasher.update, piece)
            pieces.append(piece)
        t2 = time.perf_counter()
        if hashing is not None:
            hashing.result()
        data = pieces[0] if len(pieces) == 1 else b"".join(pieces)
        del pieces
        if verify:
            self.verify_weights(info, data, hasher)
        verify_s = time.perf_counter() - t2
        t3 = time.perf_counter()
        try:
            artifacts = ModelArtifacts.from_artifacts_json(doc, data)
        except ModelFormatError as exc:
            raise CacheIntegrityError(f"cached model {quoted(self.key)} is damaged: {exc}") from None
        self.last_timings = {"storage_read": read_s + (t0_chunks - started),
                             "decode": decode_s + time.perf_counter() - t3,
                             "verify": verify_s}
        return artifacts

    # ----------------------------------------------------------------- removing
    def _fixed_keys(self) -> tuple[str, str, str]:
        return (self.keys.info, self.keys.model_without_weight, self.keys.weight_data_size)

    def _is_chunk_key(self, storage_key: str) -> bool:
        """Whether ``storage_key`` is one of this model's ``weight_data:<i>`` chunks."""
        head = self.keys.weight_data + ":"
        return storage_key.startswith(head) and storage_key[len(head):].isdigit()

    def _chunk_keys_present(self) -> list[str]:
        return [k for k in self.store.keys() if self._is_chunk_key(k)]

    def all_keys(self) -> list[str]:
        """Every key this model holds now, including stray chunks."""
        return [k for k in self._fixed_keys() if k in self.store] + self._chunk_keys_present()

    def stored_bytes(self) -> int:
        """Bytes the model takes against the quota (keys plus JSON text)."""
        fixed = self._fixed_keys()
        sizes = self.store.entry_sizes(f"{KEY_PREFIX}/{self.key}/")
        return sum(size for key, size in sizes.items() if key in fixed or self._is_chunk_key(key))

    def remove(self, *, only_if_info: str | None = None) -> bool:
        """Remove every key of the model in one step; False when it was not there."""
        with self.store.snapshot(write=True):
            if only_if_info is not None and self.info_text() != only_if_info:
                return False
            keys = self.all_keys()
            if not keys:
                return False
            self.store.update({}, keys)
            return True


def local_storage_io(store: KeyValueStorage, key: str) -> LocalStorageIO:
    """The plugin's ``localStorageIO(key)`` in ``store`` (a :class:`tc.WxStorage`)."""
    if not isinstance(store, KeyValueStorage):
        raise StorageError(f"local_storage_io needs a WxStorage, not {type(store).__name__}.")
    return LocalStorageIO(store, key)
