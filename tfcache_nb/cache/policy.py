"""What to store when space is short: quantize-to-fit and least-recently-used eviction.

The plugin writes without looking and fails with ``exceed storage max size``. Here a save is
planned first: each candidate form of the model (float32, or a quantized copy) is sized
exactly as the storage will count it, compared with the free space, and, when allowed, the
least recently used models that tfcache_nb itself saved are evicted, but only when that
really makes room. Keys the toolkit did not write are never touched.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Iterable, Iterator

from ..errors import InvalidArgumentError, TfcacheError
from ..format import quantization
from ..format.artifacts import ModelArtifacts
from ..io.local_storage_io import LocalStorageIO, local_storage_io, model_key_from_info_key
from ..storage.base import KeyValueStorage, encode_value, utf8_len

QUANTIZE_FORMS = ("uint8", "uint16", "float16")
ON_FULL = ("evict", "skip", "error")


def validate_options(quantize: str | None, on_full: str) -> None:
    if quantize is not None and quantize not in QUANTIZE_FORMS + ("auto",):
        raise InvalidArgumentError(f"quantize must be None, 'uint8', 'uint16', 'float16' or 'auto', not {quantize!r}.")
    if on_full not in ON_FULL:
        raise InvalidArgumentError(f"on_full must be 'evict', 'skip' or 'error', not {on_full!r}.")


def candidate_forms(artifacts: ModelArtifacts,
                    quantize: str | None) -> Iterator[tuple[str | None, ModelArtifacts]]:
    """The forms to try in order of preference (most accurate first for ``"auto"``), made lazily.

    Each quantized copy is built only when the caller asks for it, so a model whose float32
    form fits is never quantized.
    """
    if quantize is None:
        yield None, artifacts
        return
    if quantize != "auto":
        yield quantize, artifacts.quantize(quantize)
        return
    yield None, artifacts
    two_byte = [(form, artifacts.quantize(form)) for form in ("uint16", "float16")]
    two_byte.sort(key=lambda pair: max(quantization.max_abs_error(artifacts, pair[1]).values(), default=0.0))
    yield from two_byte
    yield "uint8", artifacts.quantize("uint8")


def entry_size(key: str, value: Any) -> int:
    """Bytes one entry counts against the quota (API.md's rule)."""
    return utf8_len(key) + utf8_len(encode_value(value))


def items_size(items: dict[str, Any]) -> int:
    return sum(entry_size(k, v) for k, v in items.items())


@dataclasses.dataclass
class Evictable:
    key: str
    bytes: int
    last_used: float


def list_model_keys(store: KeyValueStorage) -> list[str]:
    """The keys of the models saved in this namespace (by the plugin or the toolkit), sorted."""
    keys = (model_key_from_info_key(storage_key) for storage_key in store.keys())
    return sorted(k for k in keys if k is not None)


def evictable_models(store: KeyValueStorage, exclude: str) -> list[Evictable]:
    """Models tfcache_nb saved in this namespace (they carry its record), least recently used first."""
    found = []
    for key in list_model_keys(store):
        if key == exclude:
            continue
        handler = local_storage_io(store, key)
        try:
            meta = handler.read_metadata()
        except TfcacheError:
            meta = None
        if meta is None:
            continue
        found.append(Evictable(key, handler.stored_bytes(), meta.last_used))
    found.sort(key=lambda e: e.last_used)
    return found


@dataclasses.dataclass
class SavePlan:
    """One form of the model, the exact items to write, and who must go first."""

    form: str | None
    artifacts: ModelArtifacts
    items: dict[str, Any]
    needed: int
    free: int
    evict: list[str]
    fits: bool


def plan_save(entry: LocalStorageIO, forms: Iterable[tuple[str | None, ModelArtifacts]],
              metadata_for: Any, allow_evict: bool) -> SavePlan:
    """Pick the first form that fits now; failing that, the first that fits after eviction.

    ``forms`` is consumed lazily: forms after the first that fits are never made.
    """
    store = entry.store
    replaced = entry.stored_bytes()
    free = store.limit_bytes - store.used_bytes + replaced
    plans = []
    for form, artifacts in forms:
        items = entry.planned_items(artifacts, metadata_for(form, artifacts))
        needed = items_size(items)
        if needed <= free:
            return SavePlan(form, artifacts, items, needed, free, [], True)
        plans.append(SavePlan(form, artifacts, items, needed, free, [], False))
    if allow_evict:
        victims = evictable_models(store, exclude=entry.key)
        room = free + sum(v.bytes for v in victims)
        for plan in plans:
            if plan.needed <= room:
                gained, chosen = free, []
                for victim in victims:
                    if gained >= plan.needed:
                        break
                    chosen.append(victim.key)
                    gained += victim.bytes
                plan.evict, plan.fits = chosen, True
                return plan
    return plans[-1]
