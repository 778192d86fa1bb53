"""Fixtures of the browser-client tests: Chromium, Playwright, the pinned TensorFlow.js, a tiny model.

Skipped with the reason when Chromium or Playwright is absent, or when TensorFlow.js cannot be
fetched with npm. tf.min.js is fetched once per session into a temporary folder (npm's own
cache makes it quick), never into the user's cache folder.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tfcache_nb.errors import BrowserClientError
from tfcache_nb.netsim.profiles import Profile

#: a seconds-scale simulated network, so the browser's cold time can be held to the latency model
SECONDS_PROFILE = Profile(rtt_ms=200.0, down_kbps=8000.0, name="test-seconds")


@pytest.fixture(scope="session")
def seconds_profile() -> Profile:
    return SECONDS_PROFILE


@pytest.fixture(scope="session")
def browser_ready() -> None:
    from tfcache_nb.experiments.clients.tfjs_chromium import browser_client_missing

    missing = browser_client_missing()
    if missing:
        pytest.skip(f"the tfjs-chromium client cannot run here: {missing}")


@pytest.fixture(scope="session")
def tfjs_js(browser_ready, tmp_path_factory) -> Path:
    """@tensorflow/tfjs 4.22.0's dist/tf.min.js, fetched with npm and checked against its integrity."""
    from tfcache_nb.experiments.clients.tfjs_assets import install_tfjs

    try:
        return install_tfjs(tmp_path_factory.mktemp("tfjs") / "tf.min.js")
    except BrowserClientError as err:
        pytest.skip(f"TensorFlow.js 4.22.0 cannot be fetched: {err}")


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> Path:
    """A small MobileNet layers model (0.84 MiB in 7 shards of up to 128 KiB): real TF.js layers."""
    from tfcache_nb.format.files import write_model_files
    from tfcache_nb.format.synthetic import synthetic_mobilenet

    folder = tmp_path_factory.mktemp("tiny") / "tiny_mobilenet"
    write_model_files(folder, synthetic_mobilenet(0.25, input_size=32, num_classes=10, seed=1),
                      max_shard_bytes=128 * 1024)
    return folder


@pytest.fixture(scope="session")
def big_model(tmp_path_factory) -> Path:
    """A synthetic MobileNet 0.75 (9.9 MiB): more than Chromium's localStorage holds."""
    from tfcache_nb.format.synthetic import write_synthetic_mobilenet

    return Path(write_synthetic_mobilenet(tmp_path_factory.mktemp("big") / "mobilenet_v1_0.75_224",
                                          alpha=0.75, seed=0))


@pytest.fixture(scope="module")
def client(tfjs_js):
    from tfcache_nb.experiments.clients.tfjs_chromium import TfjsChromium

    with TfjsChromium(tfjs=tfjs_js, deadline_s=120) as c:
        yield c


@pytest.fixture(scope="session")
def graph_model(models_dir) -> Path:
    """A real TF.js graph model (the 'age' model of ../shared/zoo, 0.3 MiB), or a skip."""
    folder = models_dir.parent / "zoo" / "age"
    if not (folder / "model.json").is_file():
        pytest.skip(f"the zoo's graph models are absent: {folder} not found")
    return folder
