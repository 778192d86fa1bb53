"""A deadline bounds a whole load: a server that trickles one byte a second is cut off.

``timeout`` bounds each read, and a byte a second never trips a 30 s read timeout; the
deadline must stop the load within a second or two of it, with one ModelLoadError saying
how far it got, and leave the cache exactly as it was.
"""

from __future__ import annotations

import re
import time

import pytest

import tfcache_nb as tc
from tfcache_nb.errors import InvalidArgumentError, ModelLoadError
from tfcache_nb.netsim.faults import Fault
from tfcache_nb.transport.deadline import DEFAULT_DEADLINE_S, Deadline, deadline_for


def _store_state(store) -> dict:
    return {key: store.get_text(key) for key in store.keys()}


def test_a_trickling_shard_is_cut_off_at_the_deadline_and_nothing_is_saved(tiny_model, serve, tmp_path):
    server = serve(tiny_model, faults=[Fault.trickle(1.0, path="group1-shard2of3")])
    store = tc.WxStorage(tmp_path / "cache.sqlite3")
    try:
        store.set("someone-else", "kept as it was")
        before = _store_state(store)
        t0 = time.monotonic()
        with pytest.raises(ModelLoadError) as err:
            tc.load_artifacts(server.url + "/model.json", cache=store, cache_key="tiny", deadline=4,
                              timeout=(5.0, 30.0))
        took = time.monotonic() - t0
        assert 4.0 <= took <= 6.0, took                       # within a second or two of it
        message = str(err.value)
        assert "deadline of 4 s" in message
        total = sum(f.stat().st_size for f in tiny_model.glob("group*"))
        got = re.search(r"with ([\d,]+) of ([\d,]+) bytes of the weights received", message)
        assert got is not None, message                       # how far it got, of how many
        assert int(got[2].replace(",", "")) == total
        assert 0 < int(got[1].replace(",", "")) < total
        assert "still downloading: group1-shard2of3 (" in message  # which file
        assert "group1-shard1of3" not in message              # the finished ones are not named
        assert err.value.cause == "the deadline of 4 s passed"
        assert _store_state(store) == before                  # storage untouched
        assert "tiny" not in tc.list_models(store)
    finally:
        store.close()


def test_a_trickling_model_json_is_cut_off_too(tiny_model, serve):
    server = serve(tiny_model, faults=[Fault.trickle(1.0, path="/model.json")])
    t0 = time.monotonic()
    with pytest.raises(ModelLoadError, match=r"deadline of 2 s passed while fetching model\.json"):
        tc.http_io(server.url + "/model.json", deadline=2).load()
    assert 2.0 <= time.monotonic() - t0 <= 4.0


def test_retries_count_against_the_deadline(tiny_model, serve):
    server = serve(tiny_model, faults=[Fault.status(503, path="/model.json")])
    t0 = time.monotonic()
    with pytest.raises(ModelLoadError, match="deadline of 1.5 s passed"):
        tc.load_artifacts(server.url + "/model.json", deadline=1.5, retries=50, backoff=0.2)
    assert time.monotonic() - t0 <= 3.0


def test_a_load_within_its_deadline_is_unchanged(tiny_model, serve, tmp_path):
    server = serve(tiny_model)
    store = tc.WxStorage(tmp_path / "cache.sqlite3")
    try:
        _, report = tc.load_artifacts(server.url + "/model.json", cache=store, cache_key="tiny",
                                      deadline=30)
        assert report.source == "network" and report.saved
    finally:
        store.close()


@pytest.mark.parametrize("bad", [0, -1, "4", True])
def test_a_deadline_must_be_a_positive_number(tiny_model, serve, bad):
    server = serve(tiny_model)
    with pytest.raises(InvalidArgumentError, match="deadline must be a positive number"):
        tc.http_io(server.url + "/model.json", deadline=bad)


def test_default_deadlines():
    assert deadline_for(None) == DEFAULT_DEADLINE_S
    assert deadline_for(10.0) == pytest.approx(60.0)       # 3x the expectation + 30 s
    d = Deadline(10.0)
    assert d.cap((5.0, 30.0))[1] <= 10.0 and d.cap((5.0, 30.0))[0] == 5.0
