"""Random operation sequences: every backend matches a tiny reference model of WeChat storage."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

import tfcache_nb as tc

LIMIT, MAX_VALUE = 120, 40

keys = st.sampled_from(["a", "b", "模", "k/1", "k:2"])
values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
    max_leaves=6,
)
ops = st.lists(st.one_of(
    st.tuples(st.just("set"), keys, values),
    st.tuples(st.just("remove"), keys),
    st.tuples(st.just("update"), st.dictionaries(keys, values, max_size=3), st.lists(keys, max_size=2)),
    st.tuples(st.just("clear")),
), max_size=25)


def _size(key: str, value) -> tuple[int, int]:
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return len(key.encode()) + len(text.encode()), len(text.encode())


def _reference(model: dict, op: tuple) -> str | None:
    """Apply ``op`` to ``model`` (key -> value) as WeChat would; return the error's name."""
    new = dict(model)
    if op[0] == "set":
        new[op[1]] = op[2]
        writes = {op[1]: op[2]}
    elif op[0] == "remove":
        new.pop(op[1], None)
        writes = {}
    elif op[0] == "update":
        for k in op[2]:
            new.pop(k, None)
        new.update(op[1])
        writes = op[1]
    else:
        new, writes = {}, {}
    if any(_size(k, v)[1] > MAX_VALUE for k, v in writes.items()):
        return "StorageValueTooLargeError"
    old_total = sum(_size(k, v)[0] for k, v in model.items())
    new_total = sum(_size(k, v)[0] for k, v in new.items())
    if new_total > LIMIT and new_total > old_total:
        return "StorageQuotaError"
    model.clear()
    model.update(new)
    return None


def _apply(store, op: tuple) -> str | None:
    try:
        if op[0] == "set":
            store.set(op[1], op[2])
        elif op[0] == "remove":
            store.remove(op[1])
        elif op[0] == "update":
            store.update(op[1], remove_keys=op[2])
        else:
            store.clear()
    except tc.StorageError as exc:
        return type(exc).__name__
    return None


@settings(max_examples=60, deadline=None)
@given(ops)
def test_every_backend_matches_the_reference(sequence):
    stores = [tc.DictStorage(limit_bytes=LIMIT, max_value_bytes=MAX_VALUE),
              tc.WxStorage(":memory:", limit_bytes=LIMIT, max_value_bytes=MAX_VALUE)]
    model: dict = {}
    try:
        for op in sequence:
            expected = _reference(model, op)
            assert [_apply(s, op) for s in stores] == [expected] * len(stores), op
            total = sum(_size(k, v)[0] for k, v in model.items())
            for s in stores:
                assert sorted(s.keys()) == sorted(model)
                assert {k: s.get(k) for k in model} == model
                assert s.used_bytes == total == s.recount()
        for s in stores:
            s.check()
    finally:
        for s in stores:
            s.close()
