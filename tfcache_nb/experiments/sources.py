"""Where a model comes from, decided in one place for the CLI, the dashboard and the runner.

A source is a URL (loaded directly: no simulated network can apply), a local model folder
(served on 127.0.0.1 by a :class:`ModelServer`, so it loads over real HTTP and a network
profile can pace it) or the synthetic MobileNet (the real architecture with random weights,
written to a temporary folder and served the same way) when nothing else is available.

Cache keys come from the folder, never from the server's URL: the server picks a new port
on every run, and a key derived from it would store a new copy of the model each time.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import tempfile
import threading
from pathlib import Path
from typing import Callable, Iterator

from ..cache.keys import default_cache_key
from ..errors import ModelLoadError
from ..netsim.profiles import Profile
from ..netsim.server import ModelServer

DEFAULT_MODEL_NAME = "mobilenet_v1_0.25_224"
DEFAULT_MODEL_URL = f"https://storage.googleapis.com/tfjs-models/tfjs/{DEFAULT_MODEL_NAME}/model.json"
REAL_URL = "https://storage.googleapis.com/tfjs-models/tfjs/mobilenet_v1_{}_224/model.json"
MODEL_DIR_ENV = "TFCACHE_NB_MODEL_DIR"
SYNTHETIC_NAME = "synthetic_mobilenet_v1_0.25_224"
SYNTHETIC_LABEL = "synthetic MobileNet v1 0.25 (synthetic, random weights; served locally)"
SYNTHETIC_NOTE = "synthetic model with random weights: its predictions mean nothing."
#: the synthetic model is written with a fixed seed, so one key names it in every session
SYNTHETIC_KEY = f"{SYNTHETIC_NAME}-{hashlib.sha256(b'tfcache_nb/synthetic/alpha=0.25/seed=0').hexdigest()[:8]}"


@dataclasses.dataclass(frozen=True)
class ModelSource:
    """One model source: a URL, a local folder, or the synthetic MobileNet (``synthetic``)."""

    label: str
    url: str | None = None
    folder: Path | None = None
    synthetic: bool = False

    @property
    def local(self) -> bool:
        """Served on 127.0.0.1, so a network profile applies (folders and the synthetic model)."""
        return self.url is None

    @property
    def name(self) -> str:
        if self.folder is not None:
            return self.folder.name
        if self.synthetic:
            return SYNTHETIC_NAME
        return default_cache_key(self.url).rsplit("-", 1)[0]

    @property
    def cache_key(self) -> str:
        """Stable across runs: from the folder's path, the URL, or the synthetic model's seed."""
        if self.folder is not None:
            return default_cache_key(self.folder)
        if self.synthetic:
            return SYNTHETIC_KEY
        return default_cache_key(self.url)

    @property
    def note(self) -> str:
        if self.synthetic:
            return SYNTHETIC_NOTE
        if self.url:
            return "loaded over the real internet: the network profile does not apply."
        return ""

    @classmethod
    def from_url(cls, url: str) -> "ModelSource":
        return cls(url, url=url)

    @classmethod
    def from_folder(cls, folder: str | os.PathLike[str]) -> "ModelSource":
        path = resolve_model_dir(folder)
        return cls(f"{path.name} from {path}", folder=path, synthetic=is_synthetic_folder(path))

    @classmethod
    def synthetic_model(cls) -> "ModelSource":
        return cls(SYNTHETIC_LABEL, synthetic=True)


def resolve_model_dir(path: str | os.PathLike[str]) -> Path:
    """A model folder: the folder itself (or a model.json's folder), or its
    ``mobilenet_v1_0.25_224`` child (the shared models folder). Absolute."""
    folder = Path(path).expanduser()
    if folder.suffix == ".json":
        folder = folder.parent
    if (folder / "model.json").is_file():
        return folder.resolve()
    if (folder / DEFAULT_MODEL_NAME / "model.json").is_file():
        return (folder / DEFAULT_MODEL_NAME).resolve()
    raise ModelLoadError(f"there is no model.json in {folder}.", url=str(folder), cause="not found")


def is_synthetic_folder(folder: Path) -> bool:
    """Whether the folder holds a synthetic model (its model.json's userDefinedMetadata says so)."""
    try:
        with open(folder / "model.json", encoding="utf-8") as fh:
            meta = json.load(fh).get("userDefinedMetadata")
    except (OSError, ValueError, AttributeError):
        return False
    return isinstance(meta, dict) and meta.get("synthetic") is True


def internet_reachable(url: str, timeout: float = 4.0) -> bool:
    """Whether the model URL answers at all (one small request)."""
    import requests

    try:
        requests.head(url, timeout=timeout, allow_redirects=True)
        return True
    except requests.RequestException:
        return False


def choose_source(model_url: str | None = None, model_dir: str | os.PathLike[str] | None = None, *,
                  default_url: str | None = None, say: Callable[[str], object] = print) -> ModelSource:
    """The source the user asked for: ``model_dir``, else ``model_url``, else
    ``$TFCACHE_NB_MODEL_DIR``, else the default URL when the internet answers, else the
    synthetic MobileNet (``say`` tells why, and that its predictions mean nothing)."""
    if model_dir:
        return ModelSource.from_folder(model_dir)
    if model_url:
        return ModelSource.from_url(model_url)
    env = os.environ.get(MODEL_DIR_ENV)
    if env:
        return ModelSource.from_folder(env)
    url = default_url or DEFAULT_MODEL_URL
    if internet_reachable(url):
        return ModelSource.from_url(url)
    say(f"The network cannot reach {url}: using the synthetic MobileNet served locally instead "
        "(random weights: its predictions mean nothing).")
    return ModelSource.synthetic_model()


@contextlib.contextmanager
def materialized(source: ModelSource) -> Iterator[Path | None]:
    """The folder holding ``source``'s files (the synthetic model written to a temporary
    folder for the duration), or None for a URL."""
    if source.folder is not None or not source.synthetic:
        yield source.folder
        return
    with tempfile.TemporaryDirectory(prefix="tfcache_nb_synthetic_") as tmp:
        yield _write_synthetic(Path(tmp))


def _write_synthetic(parent: Path) -> Path:
    from ..format.synthetic import write_synthetic_mobilenet

    return write_synthetic_mobilenet(parent / SYNTHETIC_NAME, alpha=0.25, seed=0)


@dataclasses.dataclass(frozen=True)
class ServedSource:
    """A source ready to load: ``url`` (the server's, for a local one), its stable
    ``cache_key``, the ``server`` (None for a URL) and whether ``profile_applied``."""

    source: ModelSource
    url: str
    cache_key: str
    server: ModelServer | None
    profile_applied: bool

    @property
    def description(self) -> str:
        src, server = self.source, self.server
        if server is None:
            return self.url
        if src.folder is None:
            return f"synthetic MobileNet v1 0.25 (random weights), served on {server.url}"
        what = " (a synthetic model: random weights)" if src.synthetic else ""
        return f"{src.folder.name}{what} from {src.folder}, served on {server.url}"


@contextlib.contextmanager
def serve(source: ModelSource, profile: Profile | str | None = None) -> Iterator[ServedSource]:
    """Serve a local source on 127.0.0.1 (paced by ``profile``) for the ``with`` block; a URL
    is yielded as is (``profile`` cannot apply to it: ``profile_applied`` is False)."""
    if source.url is not None:
        yield ServedSource(source, source.url, source.cache_key, None, False)
        return
    with materialized(source) as folder, ModelServer(folder, profile=profile) as server:  # type: ignore[arg-type]
        yield ServedSource(source, server.url + "/model.json", source.cache_key, server, profile is not None)


# -- the dashboard's list ----------------------------------------------------------------------
def _shared_models_dirs() -> list[Path]:
    env = os.environ.get(MODEL_DIR_ENV)
    found = [Path(env)] if env else []
    here = Path(__file__).resolve().parents[2]
    found += [here.parent / "shared" / "models", Path.cwd().parent / "shared" / "models"]
    return found


def local_model_folders(model_dir: str | os.PathLike[str] | None = None) -> list[Path]:
    """Folders holding a model.json in ``model_dir`` (or the default places), sorted."""
    roots = [Path(model_dir)] if model_dir is not None else _shared_models_dirs()
    for root in roots:
        if root.is_dir():
            subs = sorted(p.resolve() for p in root.iterdir() if (p / "model.json").is_file())
            if (root / "model.json").is_file():
                subs.insert(0, root.resolve())
            if subs:
                return subs
    return []


def preset_sources(model_dir: str | os.PathLike[str] | None = None, *, real_urls: bool = True) -> list[ModelSource]:
    """Local folders first (they work offline), then the synthetic model, then Google's URLs."""
    out = [ModelSource(f"{p.name} (local folder, served on 127.0.0.1)", folder=p, synthetic=is_synthetic_folder(p))
           for p in local_model_folders(model_dir)]
    out.append(ModelSource.synthetic_model())
    if real_urls:
        out += [ModelSource(f"mobilenet_v1_{a}_224 (Google, needs the internet)", url=REAL_URL.format(a))
                for a in ("0.25", "0.50", "0.75", "1.0")]
    return out


class LocalServers:
    """One ModelServer per folder, started on first use and kept (a dashboard loads the same
    model many times); :meth:`close` stops them and removes the synthetic model's files."""

    def __init__(self) -> None:
        self._servers: dict[Path, ModelServer] = {}
        self._lock = threading.Lock()
        self._synthetic: Path | None = None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None

    def synthetic_folder(self) -> Path:
        with self._lock:
            if self._synthetic is None:
                self._tmp = tempfile.TemporaryDirectory(prefix="tfcache_nb_synthetic_")
                self._synthetic = _write_synthetic(Path(self._tmp.name))
            return self._synthetic

    def folder_of(self, source: ModelSource) -> Path | None:
        if source.folder is None and source.synthetic:
            return self.synthetic_folder()
        return source.folder

    def url_for(self, folder: Path, profile: Profile | str | None) -> str:
        with self._lock:
            server = self._servers.get(folder)
            if server is None:
                server = self._servers[folder] = ModelServer(folder).start()
        server.set_profile(profile)
        return server.url + "/model.json"

    def close(self) -> None:
        with self._lock:
            servers, self._servers = list(self._servers.values()), {}
        for s in servers:
            s.stop()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp, self._synthetic = None, None


__all__ = ["ModelSource", "ServedSource", "LocalServers", "choose_source", "serve", "materialized",
           "resolve_model_dir", "internet_reachable", "local_model_folders", "preset_sources",
           "is_synthetic_folder", "DEFAULT_MODEL_URL", "DEFAULT_MODEL_NAME", "SYNTHETIC_KEY", "SYNTHETIC_NOTE",
           "SYNTHETIC_LABEL"]
