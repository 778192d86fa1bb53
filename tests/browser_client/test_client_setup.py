"""What the browser client says when it cannot run: no Chromium, no npm, a tampered download.

These need neither a browser nor the network.
"""

from __future__ import annotations

import os
import stat
import tarfile

import pytest

from tfcache_nb.errors import BrowserClientError, TfcacheError
from tfcache_nb.experiments.clients import tfjs_assets
from tfcache_nb.experiments.clients.tfjs_chromium import TfjsChromium


def test_a_missing_chromium_is_one_clear_error(tmp_path):
    client = TfjsChromium(executable=tmp_path / "no-chromium", tfjs=tmp_path / "tf.min.js")
    with pytest.raises(BrowserClientError, match="Chromium is not installed at .*no-chromium"):
        client.start()
    assert issubclass(BrowserClientError, TfcacheError)


def test_without_npm_the_error_says_how_to_get_tfjs(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no npm on it
    with pytest.raises(BrowserClientError, match=r"npm is not installed.*TFCACHE_NB_TFJS"):
        tfjs_assets.install_tfjs(tmp_path / "tf.min.js")
    assert not (tmp_path / "tf.min.js").exists()


def test_a_tarball_that_does_not_match_the_pinned_integrity_is_refused(tmp_path, monkeypatch):
    # a fake npm that "packs" a tarball with a tf.min.js in it, but not the published one
    fake = tmp_path / "package" / "dist"
    fake.mkdir(parents=True)
    (fake / "tf.min.js").write_text("window.tf = {};")
    tgz = tmp_path / "fake.tgz"
    with tarfile.open(tgz, "w:gz") as tar:
        tar.add(tmp_path / "package", arcname="package")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    npm = bin_dir / "npm"
    npm.write_text(f"#!/bin/sh\nwhile [ \"$1\" != --pack-destination ]; do shift; done\n"
                   f"cp {tgz} \"$2\"/tensorflow-tfjs-4.22.0.tgz\necho '[]'\n")
    npm.chmod(npm.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    target = tmp_path / "cache" / "tf.min.js"
    with pytest.raises(BrowserClientError, match="does not match the pinned integrity"):
        tfjs_assets.install_tfjs(target)
    assert not target.exists()


def test_tfcache_nb_tfjs_names_the_script(tmp_path, monkeypatch):
    monkeypatch.setenv(tfjs_assets.TFJS_ENV, str(tmp_path / "absent.js"))
    with pytest.raises(BrowserClientError, match="not a file"):
        tfjs_assets.tfjs_script()
    (tmp_path / "tf.min.js").write_text("// a local copy")
    monkeypatch.setenv(tfjs_assets.TFJS_ENV, str(tmp_path / "tf.min.js"))
    assert tfjs_assets.tfjs_script() == tmp_path / "tf.min.js"


def test_run_experiment_checks_its_clients_before_starting_anything(tiny_model):
    from tfcache_nb.errors import InvalidArgumentError
    from tfcache_nb.experiments.runner import run_experiment

    with pytest.raises(InvalidArgumentError, match="unknown client 'tfjs'"):
        run_experiment(tiny_model, "4g", clients=["tfjs"])
    with pytest.raises(InvalidArgumentError, match="storages localstorage belong to the tfjs-chromium client"):
        run_experiment(tiny_model, "4g", storages=["wx", "localstorage"])
    with pytest.raises(InvalidArgumentError, match="local model folders only"):
        run_experiment("https://example.invalid/model.json", "4g", clients=["tfjs-chromium"])
