"""A tiny model folder on disk and a real ModelServer on 127.0.0.1 to load it from."""

from __future__ import annotations

from pathlib import Path

import pytest

from tfcache_nb.netsim.server import ModelServer
from transport_helpers import write_tiny_model


@pytest.fixture
def tiny_model(tmp_path) -> Path:
    return write_tiny_model(tmp_path / "tiny")


@pytest.fixture
def serve():
    """``serve(folder, profile=None, faults=())`` -> a started ModelServer, stopped afterwards."""
    servers: list[ModelServer] = []

    def start(folder, profile=None, faults=()):
        server = ModelServer(folder, profile, faults=faults).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
