"""What to store when space is short: quantize-to-fit and least-recently-used eviction.

The plugin writes without looking and fails with ``exceed storage max size``. Here a save is
planned first: each candidate form of the model (float32, or a quantized copy) is sized
exactly as the storage will count it, compared with the free space, and, when allowed, the
least recently used models that tfcache_nb itself saved are evicted, but only when that
really makes room. Keys the toolkit did not write are never touched.
"""

from __future__ import annotations

import dataclasses
import sys
from typing import Any, Callable, Iterable, Iterator, Mapping

from ..errors import InvalidArgumentError, TfcacheError
from ..format import quantization
from ..format.artifacts import ModelArtifacts
from ..io.file_storage_io import FileStorageIO
from ..io.tiered_cache import TieredCache
from ..io.local_storage_io import LocalStorageIO, local_storage_io, model_key_from_info_key
from ..storage.base import KeyValueStorage, encode_value, utf8_len

QUANTIZE_FORMS = ("uint8", "uint16", "float16")
ON_FULL = ("evict", "skip", "error")
#: the free space of an area without a limit (a plain file storage folder)
NO_LIMIT = sys.maxsize


def validate_options(quantize: str | None, on_full: str, max_drift: float | None = None) -> None:
    if quantize is not None and quantize not in QUANTIZE_FORMS + ("auto",):
        raise InvalidArgumentError(f"quantize must be None, 'uint8', 'uint16', 'float16' or 'auto', not {quantize!r}.")
    if on_full not in ON_FULL:
        raise InvalidArgumentError(f"on_full must be 'evict', 'skip' or 'error', not {on_full!r}.")
    if max_drift is not None and (isinstance(max_drift, bool) or not isinstance(max_drift, (int, float))
                                  or not max_drift >= 0):
        raise InvalidArgumentError(f"max_drift must be None or a number >= 0 (a share of the outputs' "
                                   f"largest magnitude), not {max_drift!r}.")


def candidate_forms(artifacts: ModelArtifacts, quantize: str | None,
                    made: Mapping[str, ModelArtifacts] | None = None) -> Iterator[tuple[str | None, ModelArtifacts]]:
    """The forms to try in order of preference (most accurate first for ``"auto"``), made lazily.

    Each quantized copy is built only when the caller asks for it, so a model whose own form
    fits is never quantized. For ``"auto"``, a form that would change no weight (float16 for
    a model already in float16) is skipped; weights already quantized wider than a form are
    converted to it (float16 -> uint8), so a float16 model is offered uint8 too. ``made``:
    forms the caller has already made (by name), offered in the same order instead of being
    made again; a form missing from it is not offered.
    """
    def form_of(form: str) -> ModelArtifacts | None:
        return artifacts.quantize(form) if made is None else made.get(form)

    if quantize is None:
        yield None, artifacts
        return
    if quantize != "auto":
        if (stored := form_of(quantize)) is not None:
            yield quantize, stored
        return
    yield None, artifacts
    two_byte = [(form, stored) for form in ("uint16", "float16")
                if changes(artifacts, form) and (stored := form_of(form)) is not None]
    two_byte.sort(key=lambda pair: max(quantization.max_abs_error(artifacts, pair[1]).values(), default=0.0))
    yield from two_byte
    if changes(artifacts, "uint8") and (stored := form_of("uint8")) is not None:
        yield "uint8", stored


def changes(artifacts: ModelArtifacts, form: str) -> bool:
    """Whether quantizing to ``form`` would re-store any weight of the model."""
    return any(quantization.converts(spec, form) for spec in artifacts.weight_specs)


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
    return _least_recently_used(local_storage_io(store, key) for key in list_model_keys(store) if key != exclude)


def _least_recently_used(handlers: Iterable[LocalStorageIO | FileStorageIO]) -> list[Evictable]:
    """The handlers' models that carry the toolkit's record (no other is ever evicted), oldest use first."""
    found = []
    for handler in handlers:
        try:
            meta = handler.read_metadata()
        except TfcacheError:
            meta = None
        if meta is not None:
            found.append(Evictable(handler.key, handler.stored_bytes(), meta.last_used))
    found.sort(key=lambda e: e.last_used)
    return found


@dataclasses.dataclass
class SavePlan:
    """One form of the model, the exact items to write, and who must go first.

    ``drift`` is the form's measured cost (0.0 for the model as it is, None when unmeasured);
    on a plan that does not fit, ``refused`` says which forms fitted but cost too much, and
    ``lacks_room`` whether any form was too big (if not, ``max_drift`` refused every form:
    ``needed`` and ``free`` then say nothing about space).
    """

    form: str | None
    artifacts: ModelArtifacts
    items: Any
    needed: int
    free: int
    evict: list[str]
    fits: bool
    drift: float | None = None
    refused: str | None = None
    lacks_room: bool = False


@dataclasses.dataclass
class Area:
    """Where a save goes: how a form is sized there, the free space, who may be evicted.

    ``size(form, artifacts)`` returns the exact items (storage entries or files) a save
    writes and the bytes they count, from the code the save itself uses.
    """

    size: Callable[[str | None, ModelArtifacts], tuple[Any, int]]
    free: int
    victims: Callable[[], list[Evictable]]


#: the plug point for measuring a form's cost: drift of ``(form, artifacts)`` against the
#: model as it is, or None when it cannot be measured (the cache policy runs no model itself)
DriftOf = Callable[[str | None, ModelArtifacts], "float | None"]


def local_area(entry: LocalStorageIO, metadata_for: Any) -> Area:
    """The WeChat local storage as a save area for model ``entry``: sized item by item."""
    store = entry.store

    def size(form: str | None, artifacts: ModelArtifacts) -> tuple[Any, int]:
        items = entry.planned_items(artifacts, metadata_for(form, artifacts))
        return items, items_size(items)

    free = store.limit_bytes - store.used_bytes + entry.stored_bytes()
    return Area(size, free, lambda: evictable_models(store, exclude=entry.key))


def folder_area(entry: FileStorageIO, metadata_for: Any) -> Area:
    """A plain file storage folder as a save area: no limit, nothing to evict, so a save is
    refused only when ``max_drift`` refuses every form."""

    return Area(_file_sizes(entry, metadata_for), NO_LIMIT, lambda: [])


def plan_save(area: Area, forms: Iterable[tuple[str | None, ModelArtifacts]], allow_evict: bool,
              drift_of: DriftOf | None = None, max_drift: float | None = None) -> SavePlan:
    """Pick a form to save: among those that fit now (failing that, or when ``max_drift``
    refuses them all, after eviction), the one with the least drift when ``drift_of`` measures it, else the first in ``forms``' order.

    ``forms`` is consumed lazily: the model as it is, when it fits, is taken at once (its
    drift is 0), and without a drift measure or limit no form after the first that fits is
    made. ``max_drift`` refuses forms whose drift is larger or cannot be measured.
    """
    choosy = drift_of is not None or max_drift is not None
    plans: list[SavePlan] = []
    for form, artifacts in forms:
        items, needed = area.size(form, artifacts)
        plan = SavePlan(form, artifacts, items, needed, area.free, [], needed <= area.free,
                        0.0 if form is None else None)
        plans.append(plan)
        if plan.fits and (form is None or not choosy):
            return plan
    fitting = [p for p in plans if p.fits]
    chosen = least_drift(fitting, drift_of, max_drift)
    victims: list[Evictable] = []
    if chosen is None and allow_evict:  # nothing acceptable fits now: what eviction would make room for
        victims = area.victims()
        room = area.free + sum(v.bytes for v in victims)
        fitting = [p for p in plans if p.needed <= room]
        chosen = least_drift(fitting, drift_of, max_drift)
    if chosen is None:
        fitting_ids = {id(p) for p in fitting}
        too_big = [p for p in plans if id(p) not in fitting_ids]
        failed = min(too_big or plans, key=lambda p: p.needed)  # the smallest form that needs more room
        refused = [p for p in fitting if p.refused]
        failed.refused = ", ".join(f"{p.form} ({p.refused})" for p in refused) or None
        failed.fits, failed.lacks_room = False, bool(too_big)
        return failed
    if not chosen.fits:
        gained = area.free
        for victim in victims:
            if gained >= chosen.needed:
                break
            chosen.evict.append(victim.key)
            gained += victim.bytes
        chosen.fits = True
    return chosen


def least_drift(plans: list[SavePlan], drift_of: DriftOf | None, max_drift: float | None) -> SavePlan | None:
    """The acceptable plan with the least drift (ties and unmeasured: the earlier), or None."""
    acceptable = []
    for plan in plans:
        if plan.drift is None and drift_of is not None:
            plan.drift = drift_of(plan.form, plan.artifacts)
        if max_drift is not None and plan.drift is None:
            plan.refused = "its drift could not be measured"
        elif max_drift is not None and plan.drift is not None and plan.drift > max_drift:
            plan.refused = f"drift {plan.drift:.3g} > max_drift {max_drift:g}"
        else:
            acceptable.append(plan)
    if not acceptable:
        return None
    order = {id(p): i for i, p in enumerate(acceptable)}
    return min(acceptable, key=lambda p: (p.drift is None, p.drift or 0.0, order[id(p)]))


def evictable_files(cache: TieredCache, exclude: str) -> list[Evictable]:
    """Models tfcache_nb saved in the file tier (they carry its record), least recently used first."""
    return _least_recently_used(cache.file(key) for key in cache.file_models() if key != exclude)


def file_area(cache: TieredCache, entry: FileStorageIO, metadata_for: Any) -> Area:
    """The file tier as a save area for model ``entry``: its files against WeChat's file limit."""
    cache.sweep_temp_files()
    free = cache.limit_bytes - cache.file_used_bytes() + entry.stored_bytes()
    return Area(_file_sizes(entry, metadata_for), free, lambda: evictable_files(cache, exclude=entry.key))


def _file_sizes(entry: FileStorageIO, metadata_for: Any) -> Callable[[str | None, ModelArtifacts], tuple[Any, int]]:
    """An area's ``size`` for file storage: the files a save writes and their bytes."""

    def size(form: str | None, artifacts: ModelArtifacts) -> tuple[Any, int]:
        files = entry.planned_files(artifacts, metadata_for(form, artifacts))
        return files, sum(len(data) for data in files.values())

    return size
