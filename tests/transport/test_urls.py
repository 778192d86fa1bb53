"""Shard URLs by TensorFlow.js's rule, and weight paths that try to leave the model's folder."""

from __future__ import annotations

import pytest

from tfcache_nb.errors import ModelLoadError
from tfcache_nb.transport.urls import shard_urls, split_model_url, tfhub_model_url

MODEL = "http://host:8000/models/mobilenet/model.json"


def test_folder_of_the_model_url_plus_path():
    assert shard_urls(MODEL, ["group1-shard1of2", "group1-shard2of2"]) == [
        "http://host:8000/models/mobilenet/group1-shard1of2",
        "http://host:8000/models/mobilenet/group1-shard2of2",
    ]


def test_query_string_of_the_model_url_is_kept_on_every_shard():
    url = "https://tfhub.dev/google/m/1/model.json?tfjs-format=file&sig=a/b"
    assert shard_urls(url, ["group1-shard1of1"]) == [
        "https://tfhub.dev/google/m/1/group1-shard1of1?tfjs-format=file&sig=a/b"]
    assert split_model_url(url) == ("https://tfhub.dev/google/m/1/", "?tfjs-format=file&sig=a/b")


def test_prefix_replaces_the_folder_but_keeps_the_query():
    urls = shard_urls(MODEL + "?v=3", ["w.bin"], weight_path_prefix="https://cdn.example/w/")
    assert urls == ["https://cdn.example/w/w.bin?v=3"]


def test_dot_slash_and_subfolders_stay_inside():
    assert shard_urls(MODEL, ["./model.weights.bin", "sub/a/../b.bin"]) == [
        "http://host:8000/models/mobilenet/./model.weights.bin",
        "http://host:8000/models/mobilenet/sub/a/../b.bin",
    ]


def test_tfhub_convention():
    hub = "https://tfhub.dev/google/imagenet/mobilenet_v1_025_224/classification/1"
    assert tfhub_model_url(hub) == hub + "/model.json?tfjs-format=file"
    assert tfhub_model_url(hub + "/") == hub + "/model.json?tfjs-format=file"
    assert tfhub_model_url(tfhub_model_url(hub)) == tfhub_model_url(hub)
    assert shard_urls(tfhub_model_url(hub), ["group1-shard1of1"]) == [
        hub + "/group1-shard1of1?tfjs-format=file"]


@pytest.mark.parametrize("path", [
    "../secret.bin",
    "a/../../secret.bin",
    "%2e%2e/secret.bin",
    ".%2E/secret.bin",
    "..%2fsecret.bin",
    "..\\secret.bin",
    "http://evil.example/w.bin",
    "https://host:8000/models/mobilenet/w.bin",
    "//evil.example/w.bin",
    "\\\\evil.example/w.bin",
    "/etc/passwd",
])
def test_escaping_paths_are_refused_naming_the_path(path):
    with pytest.raises(ModelLoadError) as info:
        shard_urls(MODEL, ["ok.bin", path])
    assert repr(path) in str(info.value)
    assert "allow_external_weights" in str(info.value)
    assert info.value.url == MODEL


def test_escapes_are_resolved_when_allowed():
    urls = shard_urls(MODEL + "?v=1", ["../shared/w.bin", "//cdn.example/w.bin",
                                       "https://cdn.example/x.bin", "/root.bin"],
                      allow_external=True)
    assert urls == [
        "http://host:8000/models/shared/w.bin?v=1",
        "http://cdn.example/w.bin",
        "https://cdn.example/x.bin",
        "http://host:8000/root.bin?v=1",
    ]
