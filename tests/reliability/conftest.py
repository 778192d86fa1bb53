"""Fixtures of the reliability tests, and the collector of the figures the README quotes.

The figures (faults tried, damaged entries detected, kills, processes and operations,
hypothesis cases) are written to docs/figures/reliability_figures.json at the end of the
session only when TFCACHE_NB_RECORD_FIGURES=1, so an ordinary run never changes the repo.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import tfcache_nb as tc
from rel_helpers import FIGURES, write_figures, write_model

FIGURES_PATH = Path(__file__).resolve().parents[2] / "docs" / "figures" / "reliability_figures.json"


def pytest_sessionfinish(session, exitstatus):
    if os.environ.get("TFCACHE_NB_RECORD_FIGURES") == "1" and FIGURES:
        FIGURES["tests_failed"] = int(session.testsfailed)
        FIGURES["tests_collected"] = int(session.testscollected)
        write_figures(FIGURES_PATH)


@pytest.fixture
def figures():
    """The session's counter: ``figures["faults_tried"] += 1``."""
    return FIGURES


@pytest.fixture
def models_root(tmp_path) -> Path:
    """Two small models, ``a`` and ``b``, with several shards each, in one served folder."""
    root = tmp_path / "site"
    write_model(root / "a", n_floats=6000, seed=1)
    write_model(root / "b", n_floats=5000, seed=2)
    return root


@pytest.fixture
def store_path(tmp_path) -> Path:
    return tmp_path / "wx.sqlite3"


@pytest.fixture
def store(store_path):
    s = tc.WxStorage(store_path, app_id="wx-app", user_id="alice")
    yield s
    s.close()
