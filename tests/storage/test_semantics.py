"""The WeChat storage semantics, checked identically on every backend (see conftest)."""

from __future__ import annotations

import pytest

import tfcache_nb as tc

JSON_VALUES = [
    "hello",
    "",
    "模型 ünïcödé 😀",
    0,
    -17,
    2**60,
    3.25,
    -1e-7,
    True,
    False,
    None,
    [],
    [1, "two", 3.0, None, [True]],
    {},
    {"a": {"b": {"c": [1, {"d": "é"}]}}, "n": None},
]


# --------------------------------------------------------------------------- basic operations
@pytest.mark.parametrize("value", JSON_VALUES, ids=lambda v: type(v).__name__ + ":" + repr(v)[:20])
def test_set_get_roundtrip_every_json_kind(make_store, value):
    store = make_store()
    store.set("k", value)
    got = store.get("k")
    assert got == value and type(got) is type(value)
    assert "k" in store and len(store) == 1 and store.keys() == ["k"]


def test_get_missing_returns_default_and_fresh_objects(make_store):
    store = make_store()
    assert store.get("nope") is None
    assert store.get("nope", 42) == 42
    assert store.get_text("nope") is None
    store.set("lst", [1, 2])
    first = store.get("lst")
    first.append(3)
    assert store.get("lst") == [1, 2]  # the caller's copy is not the stored value


def test_get_text_is_the_compact_json(make_store):
    store = make_store()
    store.set("d", {"a": [1, 2.5, "é"], "b": None})
    assert store.get_text("d") == '{"a":[1,2.5,"é"],"b":null}'
    store.set("s", "base64+/==")
    assert store.get_text("s") == '"base64+/=="'


def test_remove_clear_contains_len_keys(make_store):
    store = make_store()
    for i, k in enumerate(["b", "a", "c"]):
        store.set(k, i)
    assert store.keys() == ["b", "a", "c"]  # insertion order
    store.set("b", "again")  # an overwrite keeps its place
    assert store.keys() == ["b", "a", "c"]
    assert list(store) == ["b", "a", "c"]
    store.remove("a")
    assert "a" not in store and len(store) == 2 and store.keys() == ["b", "c"]
    store.remove("a")  # missing key: no error, like wx.removeStorageSync
    store.remove("never-there")
    assert len(store) == 2
    store.clear()
    assert store.keys() == [] and len(store) == 0 and store.used_bytes == 0
    store.clear()  # clearing an empty namespace is fine
    assert store.info().current_size == 0


def test_contains_with_non_key_is_false(make_store):
    store = make_store()
    store.set("1", 1)
    assert 1 not in store and "" not in store and None not in store and "1" in store


@pytest.mark.parametrize("bad_key, words", [(1, "str"), (None, "str"), (b"k", "str"), ("", "empty"),
                                            ("\ud800", "surrogate")])
def test_bad_keys_rejected_with_a_clear_error(make_store, bad_key, words):
    store = make_store()
    for call in (lambda: store.set(bad_key, 1), lambda: store.get(bad_key),
                 lambda: store.remove(bad_key), lambda: store.update({bad_key: 1}),
                 lambda: store.update(remove_keys=[bad_key])):
        with pytest.raises(tc.StorageError, match=words):
            call()
    assert store.keys() == []


def test_unusual_keys_are_plain_keys(make_store):
    store = make_store()
    keys = ["a/b/c", "x:y", "tensorflowjs_models/m/weight_data:0", "模型", " ", "k" * 5000, "%_'\";--"]
    for i, k in enumerate(keys):
        store.set(k, i)
    assert store.keys() == keys
    assert [store.get(k) for k in keys] == list(range(len(keys)))
    assert store.entry_sizes()["k" * 5000] == 5000 + 1


@pytest.mark.parametrize("value, words", [
    ({1, 2}, "set"), (b"bytes", "bytes"), (object(), "object"), (float("nan"), "NaN"),
    (float("inf"), "Infinity"), ([1, float("-inf")], "NaN and Infinity"), ({"x": {3j}}, "dict"),
    ("lone \udc00 surrogate", "surrogate"),
])
def test_values_json_cannot_hold_are_rejected_and_nothing_written(make_store, snapshot, value, words):
    store = make_store()
    store.set("keep", "me")
    before = snapshot(store)
    with pytest.raises(tc.StorageError, match=words):
        store.set("k", value)
    with pytest.raises(tc.StorageError):
        store.update({"ok": 1, "k": value})
    assert snapshot(store) == before


def test_circular_value_rejected(make_store):
    store = make_store()
    loop: list = []
    loop.append(loop)
    with pytest.raises(tc.StorageError, match="refers to itself"):
        store.set("k", loop)
    assert "k" not in store


# --------------------------------------------------------------------------- size accounting
@pytest.mark.parametrize("key, value, size", [
    ("a", 1, 1 + 1),                              # a + 1
    ("b", "hello", 1 + 7),                        # b + "hello"
    ("flag", True, 4 + 4),                        # true
    ("nil", None, 3 + 4),                         # null
    ("f", 1.0, 1 + 3),                            # Python's json writes 1.0
    ("lst", [1, 2], 3 + 5),                       # [1,2]
    ("d", {"a": [1, 2.5, "é"]}, 1 + 18),          # {"a":[1,2.5,"é"]}: é is 2 bytes
    ("模型", "é", 6 + 4),                          # 3 bytes per CJK char; "é" is 4 bytes
    ("emoji", "😀", 5 + 6),                        # 4-byte character plus quotes
    ("esc", 'a"b\n', 3 + 8),                      # "a\"b\n" with JSON escapes
])
def test_entry_size_is_utf8_key_plus_compact_json(make_store, key, value, size):
    store = make_store()
    store.set(key, value)
    assert store.entry_sizes() == {key: size}
    assert store.used_bytes == size == store.info().current_size
    assert store.free_bytes == store.limit_bytes - size


def test_totals_and_prefix_sizes(make_store):
    store = make_store()
    store.set("m/a", "xx")       # 3 + 4
    store.set("m/b", [1])        # 3 + 3
    store.set("other", "模")     # 5 + 5
    assert store.entry_sizes("m/") == {"m/a": 7, "m/b": 6}
    assert store.entry_sizes("模") == {}
    assert store.entry_sizes() == {"m/a": 7, "m/b": 6, "other": 10}
    assert store.used_bytes == 23
    store.remove("m/a")
    assert store.used_bytes == 16


def test_overwrite_counts_the_new_size_not_the_sum(make_store):
    store = make_store(limit_bytes=100, max_value_bytes=100)
    store.set("k", "x" * 87)             # 1 + 89 = 90
    assert store.used_bytes == 90
    store.set("k", "y" * 97)             # 1 + 99 = 100: fits because it replaces 90
    assert store.used_bytes == 100
    store.set("k", "z")                  # shrinking
    assert store.used_bytes == 1 + 3


# --------------------------------------------------------------------------- info()
def test_info_fields_and_kb_rounding(make_store):
    store = make_store()
    info = store.info()
    assert info.keys == [] and info.current_size == 0 and info.current_size_kb == 0
    assert info.limit_size == 10 * 1024 * 1024 and info.limit_size_kb == 10240
    store.set("k", "x" * 1021)           # 1 + 1023 = 1024 bytes: exactly 1 KB
    assert store.info().current_size_kb == 1
    store.set("j", "")                   # + 1 + 2 = 1027 bytes: rounds up to 2 KB
    info = store.info()
    assert info.current_size == 1027 and info.current_size_kb == 2
    assert info.keys == ["k", "j"] and info.free_size == 10 * 1024 * 1024 - 1027
    assert (info.app_id, info.user_id) == ("default", "default")
    with pytest.raises(AttributeError):
        info.current_size = 0  # frozen


def test_info_repr_and_html_escape_keys(make_store):
    store = make_store()
    store.set("<script>alert('x')</script>", 1)
    info = store.info()
    page = info._repr_html_()
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "1 keys" in repr(info) and "10 MiB" in repr(info)
    assert store._repr_html_() == page


# --------------------------------------------------------------------------- per-value cap
def test_value_at_exactly_max_value_bytes_accepted_one_more_rejected(make_store, snapshot):
    store = make_store(max_value_bytes=100)
    long_key = "key" * 50                # the key does not count toward the value cap
    store.set(long_key, "x" * 98)        # "..." is 100 bytes
    assert store.entry_sizes()[long_key] == 150 + 100
    before = snapshot(store)
    with pytest.raises(tc.StorageValueTooLargeError, match="101 bytes") as err:
        store.set("k", "x" * 99)
    assert isinstance(err.value, tc.StorageError)
    with pytest.raises(tc.StorageValueTooLargeError):
        store.set(long_key, "x" * 99)    # an overwrite that is too large keeps the old value
    assert snapshot(store) == before


def test_value_cap_counts_utf8_bytes_not_characters(make_store):
    store = make_store(max_value_bytes=100)
    store.set("ok", "é" * 49)            # 98 + 2 = 100 bytes
    with pytest.raises(tc.StorageValueTooLargeError):
        store.set("bad", "é" * 49 + "x")  # 101 bytes, only 52 characters
    assert store.keys() == ["ok"]


def test_default_value_cap_is_one_megabyte(make_store):
    store = make_store()
    assert store.max_value_bytes == 1024 * 1024
    store.set("k", "a" * (1024 * 1024 - 2))
    with pytest.raises(tc.StorageValueTooLargeError):
        store.set("k", "a" * (1024 * 1024 - 1))
    assert store.used_bytes == 1 + 1024 * 1024


# --------------------------------------------------------------------------- quota
def test_quota_exactly_at_limit_accepted_one_byte_over_rejected(make_store, snapshot):
    store = make_store(limit_bytes=1000, max_value_bytes=1000)
    store.set("a", "x" * 497)            # 1 + 499 = 500
    store.set("b", "y" * 497)            # 500 more: exactly at the limit
    assert store.used_bytes == 1000 and store.free_bytes == 0
    before = snapshot(store)
    with pytest.raises(tc.StorageQuotaError) as err:
        store.set("c", 0)
    msg = str(err.value)
    assert "exceed storage max size" in msg and "1000" in msg and "1002" in msg
    assert isinstance(err.value, tc.StorageError)
    assert snapshot(store) == before


def test_quota_one_byte_over_on_an_empty_namespace(make_store):
    store = make_store(limit_bytes=1000, max_value_bytes=1000)
    with pytest.raises(tc.StorageQuotaError, match="exceed storage max size"):
        store.set("k", "x" * 998)        # 1 + 1000 = 1001
    assert store.keys() == [] and store.used_bytes == 0
    store.set("k", "x" * 997)            # 1000
    assert store.used_bytes == 1000


def test_quota_message_mirrors_wechat_for_the_default_limit(make_store):
    store = make_store(limit_bytes=10 * 1024 * 1024)
    chunk = "a" * (1024 * 1024 - 2)       # 1 MB of JSON each
    for i in range(9):
        store.set(f"c{i}", chunk)
    with pytest.raises(tc.StorageQuotaError, match="exceed storage max size 10Mb"):
        store.set("c9", chunk)            # 10 MB of values plus the keys is over
    assert len(store) == 9


def test_failed_overwrite_keeps_old_value_byte_identical(make_store, snapshot):
    store = make_store(limit_bytes=200, max_value_bytes=200)
    store.set("a", {"é": [1.5, None]})
    store.set("b", "x" * 100)
    before = snapshot(store)
    with pytest.raises(tc.StorageQuotaError):
        store.set("b", "x" * 190)
    assert snapshot(store) == before


# --------------------------------------------------------------------------- update()
def test_update_sets_and_removes_together(make_store):
    store = make_store()
    store.update({"a": 1, "b": 2, "c": 3})
    store.update({"d": 4, "a": "new"}, remove_keys=["b", "missing"])
    assert store.keys() == ["a", "c", "d"]
    assert store.get("a") == "new" and store.used_bytes == (1 + 5) + (1 + 1) + (1 + 1)
    store.update(remove_keys=("a", "c", "d"))
    assert store.keys() == [] and store.used_bytes == 0
    store.update()  # nothing to do is fine


def test_update_key_both_removed_and_set_ends_up_set(make_store):
    store = make_store()
    store.set("k", "old")
    store.update({"k": "new"}, remove_keys=["k"])
    assert store.get("k") == "new" and store.used_bytes == 1 + 5


@pytest.mark.parametrize("bad, error", [
    ({"bad": {1}}, tc.StorageError),
    ({"bad": "x" * 200}, tc.StorageValueTooLargeError),
    ({"bad": "x" * 150, "bad2": "y" * 150}, tc.StorageQuotaError),
])
def test_update_is_all_or_nothing(make_store, snapshot, bad, error):
    store = make_store(limit_bytes=300, max_value_bytes=190)
    store.set("keep", "x" * 50)
    store.set("drop", [1, 2, 3])
    before = snapshot(store)
    with pytest.raises(error):
        store.update({"new1": 1, "keep": "changed", **bad}, remove_keys=["drop"])
    assert snapshot(store) == before


def test_update_checks_quota_on_the_final_state(make_store):
    # replacing a model by one of the same size must fit even when both would not
    store = make_store(limit_bytes=1000, max_value_bytes=1000)
    store.update({"m/old:0": "x" * 400, "m/old:1": "x" * 400})
    store.update({"m/new:0": "y" * 400, "m/new:1": "y" * 400}, remove_keys=["m/old:0", "m/old:1"])
    assert store.keys() == ["m/new:0", "m/new:1"] and store.used_bytes == 2 * (7 + 402)


def test_update_rejects_a_single_string_of_keys(make_store):
    store = make_store()
    store.set("a", 1)
    with pytest.raises(tc.StorageError, match="iterable"):
        store.update(remove_keys="a")
    assert "a" in store


def test_shrinking_write_allowed_when_over_a_smaller_limit(make_store):
    # a namespace found over its limit (e.g. reopened with a smaller one) can still be cleaned
    big = make_store(limit_bytes=1000, max_value_bytes=1000)
    big.set("a", "x" * 500)
    small = big.for_namespace(big.app_id, big.user_id)
    small.limit_bytes = 100
    small.set("a", "x" * 400)             # shrinks: allowed
    with pytest.raises(tc.StorageQuotaError):
        small.set("b", 1)                 # grows: refused
    small.remove("a")
    assert small.used_bytes == 0


# --------------------------------------------------------------------------- namespaces
def test_namespaces_are_isolated(make_store):
    alice = make_store(limit_bytes=1000, max_value_bytes=1000)
    bob = alice.for_namespace("app2", "bob")
    assert (bob.limit_bytes, bob.max_value_bytes) == (1000, 1000)
    alice.set("k", "alice")
    bob.set("k", "bob")
    assert alice.get("k") == "alice" and bob.get("k") == "bob"
    assert sorted(alice.namespaces()) == [("app2", "bob"), ("default", "default")]
    alice.set("fill", "x" * 986)          # alice now exactly full: 10 + 990
    assert alice.used_bytes == 1000
    bob.set("big", "y" * 980)             # bob has his own 1000 bytes
    with pytest.raises(tc.StorageQuotaError):
        alice.set("more", 1)
    alice.clear()
    assert alice.keys() == [] and bob.keys() == ["k", "big"] and bob.get("k") == "bob"
    assert alice.namespaces() == [("app2", "bob")]


def test_same_user_other_app_and_same_app_other_user_are_separate(make_store):
    store = make_store()
    views = [store.for_namespace(a, u) for a in ("app1", "app2") for u in ("u1", "u2")]
    for i, v in enumerate(views):
        v.set("shared", i)
    assert [v.get("shared") for v in views] == [0, 1, 2, 3]
    assert store.get("shared") is None
    again = store.for_namespace("app1", "u2")
    assert again.get("shared") == 1       # a second view sees the same namespace


def test_bad_namespace_and_limits_rejected(make_store):
    with pytest.raises(tc.StorageError, match="app_id"):
        make_store(app_id="")
    with pytest.raises(tc.StorageError, match="limit_bytes"):
        make_store(limit_bytes=0)
    with pytest.raises(tc.StorageError, match="max_value_bytes"):
        make_store(max_value_bytes=-1)


# --------------------------------------------------------------------------- integrity, lifecycle
def test_running_total_matches_recount_after_many_operations(make_store):
    store = make_store(limit_bytes=5000, max_value_bytes=1000)
    other = store.for_namespace("x", "y")
    for i in range(60):
        target = store if i % 3 else other
        try:
            target.set(f"k{i % 7}", "é" * (i * 7 % 300))
        except tc.StorageQuotaError:
            pass
        if i % 5 == 0:
            target.remove(f"k{(i + 2) % 7}")
    assert store.recount() == store.used_bytes == sum(store.entry_sizes().values())
    assert other.recount() == other.used_bytes
    store.check()


def test_closed_store_refuses_use(make_store):
    store = make_store()
    with store as s:
        s.set("a", 1)
    assert store.closed
    for call in (lambda: store.get("a"), lambda: store.set("a", 1), store.keys, store.info,
                 lambda: len(store), lambda: "a" in store):
        with pytest.raises(tc.StorageError, match="closed"):
            call()
    store.close()  # twice is fine
