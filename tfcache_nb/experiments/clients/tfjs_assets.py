"""The pinned TensorFlow.js build the browser client runs: ``@tensorflow/tfjs`` 4.22.0's
``dist/tf.min.js`` (the same release tests/tfjs pins).

Not vendored: at first use ``npm pack`` fetches the package from the npm registry, its
sha512 is checked against the integrity pinned here (the package-lock's), and only
``dist/tf.min.js`` is kept, in ``<cache home>/tfjs/4.22.0/`` (Apache-2.0; the file carries its
licence header). ``$TFCACHE_NB_TFJS`` may name a ``tf.min.js`` to use instead, for machines
without npm or a registry.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

from ..._atomic import atomic_write
from ...errors import BrowserClientError
from ...storage.paths import cache_home

TFJS_PACKAGE = "@tensorflow/tfjs"
TFJS_VERSION = "4.22.0"
#: the registry's integrity of @tensorflow/tfjs-4.22.0.tgz (as in tests/tfjs/package-lock.json)
TFJS_INTEGRITY = ("sha512-0TrIrXs6/b7FLhLVNmfh8Sah6JgjBPH4mZ8JGb7NU6WW+cx00qK5BcAZxw7NCzxj6N8MRAIfHq"
                  "+oNbPUNG5VAg==")
TFJS_ENV = "TFCACHE_NB_TFJS"
_MEMBER = "package/dist/tf.min.js"
_NPM_TIMEOUT_S = 300


def tfjs_script(*, install: bool = True) -> Path:
    """The path of ``tf.min.js``: ``$TFCACHE_NB_TFJS``, else the cached copy, else (when
    ``install``) fetched once with npm. Raises :class:`BrowserClientError` saying what to do."""
    named = os.environ.get(TFJS_ENV)
    if named:
        path = Path(named).expanduser()
        if not path.is_file():
            raise BrowserClientError(f"${TFJS_ENV} names {str(path)!r}, which is not a file "
                                     f"(it should be @tensorflow/tfjs's dist/tf.min.js)")
        return path
    target = cached_script_path()
    if target.is_file():
        return target
    if not install:
        raise BrowserClientError(f"TensorFlow.js {TFJS_VERSION} is not installed at {target}")
    return install_tfjs(target)


def cached_script_path() -> Path:
    """Where the fetched ``tf.min.js`` is kept."""
    return cache_home() / "tfjs" / TFJS_VERSION / "tf.min.js"


def install_tfjs(target: Path | None = None) -> Path:
    """Fetch ``@tensorflow/tfjs@4.22.0`` with ``npm pack``, check its integrity, keep
    ``dist/tf.min.js`` at ``target`` (written atomically) and return that path."""
    target = Path(target) if target is not None else cached_script_path()
    npm = shutil.which("npm")
    if npm is None:
        raise BrowserClientError(
            f"npm is not installed, so TensorFlow.js {TFJS_VERSION} cannot be fetched for the "
            f"browser client: install Node.js and npm (apt-get install npm), or set ${TFJS_ENV} "
            f"to a copy of {TFJS_PACKAGE}@{TFJS_VERSION}'s dist/tf.min.js")
    with tempfile.TemporaryDirectory(prefix="tfcache_nb_tfjs_") as tmp:
        try:
            done = subprocess.run(
                [npm, "pack", f"{TFJS_PACKAGE}@{TFJS_VERSION}", "--json", "--pack-destination", tmp,
                 "--loglevel=error"],
                capture_output=True, text=True, timeout=_NPM_TIMEOUT_S, cwd=tmp)
        except subprocess.TimeoutExpired:
            raise BrowserClientError(f"`npm pack {TFJS_PACKAGE}@{TFJS_VERSION}` did not finish "
                                     f"within {_NPM_TIMEOUT_S} s") from None
        if done.returncode != 0:
            last = (done.stderr.strip().splitlines() or ["no output"])[-1]
            raise BrowserClientError(f"`npm pack {TFJS_PACKAGE}@{TFJS_VERSION}` failed, so "
                                     f"TensorFlow.js cannot be fetched: {last}")
        tarballs = list(Path(tmp).glob("*.tgz"))
        if len(tarballs) != 1:
            raise BrowserClientError(f"`npm pack {TFJS_PACKAGE}@{TFJS_VERSION}` left no tarball "
                                     f"({json.dumps(done.stdout[-200:])})")
        data = tarballs[0].read_bytes()
    integrity = "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()
    if integrity != TFJS_INTEGRITY:
        raise BrowserClientError(f"the {TFJS_PACKAGE}@{TFJS_VERSION} tarball npm fetched does not "
                                 f"match the pinned integrity ({integrity[:24]}... instead of "
                                 f"{TFJS_INTEGRITY[:24]}...): not used")
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        try:
            script = tar.extractfile(_MEMBER)
        except KeyError:
            script = None
        if script is None:
            raise BrowserClientError(f"{TFJS_PACKAGE}@{TFJS_VERSION} has no {_MEMBER}")
        payload = script.read()
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(target, payload)
    return target


__all__ = ["tfjs_script", "install_tfjs", "cached_script_path", "TFJS_VERSION", "TFJS_ENV"]
