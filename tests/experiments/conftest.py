"""Fast custom network profiles and one shared experiment run for the experiment tests.

The presets' slow speeds are for users; here round trips are 20-50 ms and bandwidths tens of
Mbit/s, so a cold load of the 1.9 MB MobileNet 0.25 takes a few tenths of a second.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tfcache_nb.netsim.profiles import Profile

FAST_PROFILES = (
    Profile(rtt_ms=20.0, down_kbps=80_000.0, jitter_ms=5.0, name="test-fast"),
    Profile(rtt_ms=35.0, down_kbps=50_000.0, jitter_ms=10.0, name="test-medium"),
    Profile(rtt_ms=50.0, down_kbps=30_000.0, jitter_ms=15.0, name="test-slow"),
)


@pytest.fixture(scope="session")
def fast_profiles() -> tuple[Profile, ...]:
    return FAST_PROFILES


@pytest.fixture(scope="session")
def model_folder(request, synthetic_dir) -> Path:
    """The real mobilenet_v1_0.25_224 when ../shared/models is there, else the synthetic one."""
    try:
        models_dir = request.getfixturevalue("models_dir")
    except pytest.skip.Exception:
        return synthetic_dir
    return models_dir / "mobilenet_v1_0.25_224"


@pytest.fixture(scope="session")
def experiment(model_folder, tmp_path_factory):
    """One run over three fast profiles, 3 trials each, with every trial callback recorded."""
    from tfcache_nb.experiments.runner import run_experiment

    calls: list[tuple[int, int, dict]] = []
    results = run_experiment(model_folder, FAST_PROFILES, storages=("wx",), trials=3, seed=7,
                             on_trial=lambda i, n, t: calls.append((i, n, t)),
                             workdir=tmp_path_factory.mktemp("experiment"))
    return results, calls
