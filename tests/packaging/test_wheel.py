"""The wheel carries the embedded MobileNet (model.json, 55 shards, its notice and checksums).

Built from this checkout with pip and hatchling, without build isolation, so no network is
needed (hatchling comes with the ``dev`` extra).
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
EMBEDDED = REPO / "tfcache_nb" / "data" / "mobilenet_v1_0.25_224"
PREFIX = "tfcache_nb/data/mobilenet_v1_0.25_224/"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    pytest.importorskip("hatchling", reason="hatchling is not installed (pip install -e '.[dev]')")
    out = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                           "-q", "-w", str(out), str(REPO)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    wheels = list(out.glob("tfcache_nb-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


def test_the_wheel_holds_every_file_of_the_embedded_model(wheel):
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        doc = json.loads(zf.read(PREFIX + "model.json"))
        paths = [p for group in doc["weightsManifest"] for p in group["paths"]]
        assert len(paths) == 55
        for name in ["model.json", "NOTICE.md", "SHA256SUMS", *paths]:
            assert PREFIX + name in names, f"{name} is missing from {wheel.name}"
        # byte for byte what the checkout holds, which SHA256SUMS vouches for
        sums = dict(line.split()[::-1] for line in zf.read(PREFIX + "SHA256SUMS").decode().splitlines())
        for name in ["model.json", *paths]:
            assert hashlib.sha256(zf.read(PREFIX + name)).hexdigest() == sums[name], name
        assert "Apache License" in zf.read(PREFIX + "NOTICE.md").decode()
        assert "tfcache_nb/inference/imagenet_classes.json" in names


def test_the_wheel_stays_small(wheel):
    weights = sum(p.stat().st_size for p in EMBEDDED.glob("group*-shard*"))
    assert weights == 1_902_176
    # the model compresses little; the rest of the package is a few hundred KB
    assert wheel.stat().st_size < weights + 1_500_000, f"{wheel.stat().st_size:,} bytes"


def test_the_checkout_copy_matches_its_checksums():
    sums = dict(line.split()[::-1] for line in (EMBEDDED / "SHA256SUMS").read_text().splitlines())
    assert len(sums) == 56
    for name, digest in sums.items():
        assert hashlib.sha256((EMBEDDED / name).read_bytes()).hexdigest() == digest, name
