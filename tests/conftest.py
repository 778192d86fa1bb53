"""Shared fixtures: where the real models and TensorFlow.js reference outputs live.

They come from ``../shared`` beside the checkout, or from ``$TFCACHE_NB_MODEL_DIR`` (the
models folder itself). Tests that need them are skipped with a clear reason when absent.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings
from tfjs_node import installed_tfjs_dir, node_executable

# CI must be reproducible: property tests explore the same cases on every run unless asked
# otherwise (TFCACHE_NB_HYPOTHESIS_RANDOM=1 explores new ones, as a soak run should).
settings.register_profile("repeatable", derandomize=True, database=None)
settings.register_profile("explore", derandomize=False)
settings.load_profile("explore" if os.environ.get("TFCACHE_NB_HYPOTHESIS_RANDOM") == "1" else "repeatable")

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"


def _models_dir() -> Path | None:
    env = os.environ.get("TFCACHE_NB_MODEL_DIR")
    candidates = [Path(env)] if env else []
    candidates.append(SHARED / "models")
    for c in candidates:
        if (c / "mobilenet_v1_0.25_224" / "model.json").is_file():
            return c
    return None


def _refs_dir() -> Path | None:
    models = _models_dir()
    for c in ([models.parent / "refs"] if models else []) + [SHARED / "refs"]:
        if (c / "grace_hopper_tfjs_outputs.json").is_file():
            return c
    return None


@pytest.fixture(scope="session")
def models_dir() -> Path:
    """The folder with the three real MobileNet models (skips when absent)."""
    d = _models_dir()
    if d is None:
        pytest.skip("real models absent: ../shared/models not found and $TFCACHE_NB_MODEL_DIR unset")
    return d


@pytest.fixture(scope="session")
def refs_dir() -> Path:
    """The folder with TensorFlow.js's reference outputs (skips when absent)."""
    d = _refs_dir()
    if d is None:
        pytest.skip("TensorFlow.js reference outputs absent: ../shared/refs not found")
    return d


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory, monkeypatch):
    """Never touch the user's real cache folder: point $TFCACHE_NB_HOME at a temp dir."""
    monkeypatch.setenv("TFCACHE_NB_HOME", str(tmp_path_factory.mktemp("tfcache_home")))


@pytest.fixture(scope="session", autouse=True)
def _no_proxy_for_loopback():
    """A proxy set in the environment must not sit between the tests and their servers on 127.0.0.1.

    requests reads these at every request, and subprocesses inherit them, so every session
    (the toolkit's default one included) goes straight to the loopback servers. Session-wide,
    so module fixtures that start servers and load from them are covered too.
    """
    with pytest.MonkeyPatch.context() as mp:
        for name in ("NO_PROXY", "no_proxy"):
            mp.setenv(name, "127.0.0.1,localhost")
        yield


@pytest.fixture
def session():
    """A requests session that ignores proxy settings entirely, to pass as ``session=``.

    Tests of unreachable hosts need it too: through a proxy, "host not found" would become
    "connection refused" (the proxy's answer).
    """
    import requests

    s = requests.Session()
    s.trust_env = False
    yield s
    s.close()


def pytest_collection_modifyitems(config, items):
    if os.environ.get("TFCACHE_NB_INTERNET") == "1":
        return
    skip = pytest.mark.skip(reason="needs the internet; set TFCACHE_NB_INTERNET=1 to run")
    for item in items:
        if "internet" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def synthetic_dir(tmp_path_factory) -> Path:
    """A synthetic MobileNet v1 0.25 folder (random weights), written once per session."""
    from tfcache_nb.format.synthetic import write_synthetic_mobilenet

    return Path(write_synthetic_mobilenet(tmp_path_factory.mktemp("synthetic") / "mobilenet_v1_0.25_224",
                                          alpha=0.25, seed=0))


@pytest.fixture(scope="session")
def synthetic_artifacts(synthetic_dir):
    from tfcache_nb.format.files import read_model_files

    return read_model_files(synthetic_dir)


# ---- real Node.js and TensorFlow.js (tests/tfjs pins @tensorflow/tfjs), for the cross-checks
@pytest.fixture(scope="session")
def node_bin() -> str:
    """The ``node`` executable (skips when absent)."""
    return node_executable()


@pytest.fixture(scope="session")
def tfjs_dir(node_bin: str) -> Path:
    """tests/tfjs with @tensorflow/tfjs installed from its lock file (once, when absent; skips if it cannot be)."""
    return installed_tfjs_dir()
