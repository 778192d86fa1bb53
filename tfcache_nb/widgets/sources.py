"""The model sources the dashboard offers: Google's real URLs, local folders, the synthetic model.

Local folders (``$TFCACHE_NB_MODEL_DIR`` or ``../shared/models``) and the synthetic model are
served by a :class:`ModelServer` on 127.0.0.1, so they load over real HTTP and the chosen
network profile applies; Google's URLs go over the real internet, where no profile can.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
import threading
from pathlib import Path

from ..cache.keys import default_cache_key
from ..netsim.server import ModelServer

REAL_URL = "https://storage.googleapis.com/tfjs-models/tfjs/mobilenet_v1_{}_224/model.json"
SYNTHETIC_LABEL = "synthetic MobileNet v1 0.25 (synthetic, random weights; served locally)"
SYNTHETIC_NOTE = "synthetic model with random weights: its predictions mean nothing."


@dataclasses.dataclass(frozen=True)
class ModelSource:
    """One entry of the source list: a URL, or a folder served locally (or the synthetic model)."""

    label: str
    url: str | None = None
    folder: Path | None = None
    synthetic: bool = False

    @property
    def note(self) -> str:
        if self.synthetic:
            return SYNTHETIC_NOTE
        if self.url:
            return "loaded over the real internet: the network profile does not apply."
        return ""


def _shared_models_dirs() -> list[Path]:
    env = os.environ.get("TFCACHE_NB_MODEL_DIR")
    found = [Path(env)] if env else []
    here = Path(__file__).resolve().parents[2]
    found += [here.parent / "shared" / "models", Path.cwd().parent / "shared" / "models"]
    return found


def local_model_folders(model_dir: str | os.PathLike[str] | None = None) -> list[Path]:
    """Subfolders holding a model.json in ``model_dir`` (or the default places), sorted."""
    roots = [Path(model_dir)] if model_dir is not None else _shared_models_dirs()
    for root in roots:
        if root.is_dir():
            subs = sorted(p for p in root.iterdir() if (p / "model.json").is_file())
            if (root / "model.json").is_file():
                subs.insert(0, root)
            if subs:
                return subs
    return []


def preset_sources(model_dir: str | os.PathLike[str] | None = None, *, real_urls: bool = True) -> list[ModelSource]:
    """Local folders first (they work offline), then the synthetic model, then Google's URLs."""
    out = [ModelSource(f"{p.name} (local folder, served on 127.0.0.1)", folder=p)
           for p in local_model_folders(model_dir)]
    out.append(ModelSource(SYNTHETIC_LABEL, synthetic=True))
    if real_urls:
        out += [ModelSource(f"mobilenet_v1_{a}_224 (Google, needs the internet)", url=REAL_URL.format(a))
                for a in ("0.25", "0.50", "0.75", "1.0")]
    return out


class LocalServers:
    """One ModelServer per folder, started on first use and stopped by :meth:`close`."""

    def __init__(self) -> None:
        self._servers: dict[Path, ModelServer] = {}
        self._lock = threading.Lock()
        self._synthetic: Path | None = None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None

    def synthetic_folder(self) -> Path:
        with self._lock:
            if self._synthetic is None:
                from ..format.synthetic import write_synthetic_mobilenet

                self._tmp = tempfile.TemporaryDirectory(prefix="tfcache_nb_synthetic_")
                self._synthetic = write_synthetic_mobilenet(Path(self._tmp.name) / "synthetic_mobilenet_v1_0.25_224",
                                                            alpha=0.25, seed=0)
            return self._synthetic

    def folder_of(self, source: ModelSource) -> Path | None:
        return self.synthetic_folder() if source.synthetic else source.folder

    def url_for(self, folder: Path, profile: object) -> str:
        with self._lock:
            server = self._servers.get(folder)
            if server is None:
                server = self._servers[folder] = ModelServer(folder).start()
        server.set_profile(profile)  # type: ignore[arg-type]
        return server.url + "/model.json"

    @staticmethod
    def cache_key(folder: Path) -> str:
        """Stable across sessions (the server's port changes, the folder does not)."""
        return default_cache_key(folder)

    def close(self) -> None:
        with self._lock:
            servers, self._servers = list(self._servers.values()), {}
        for s in servers:
            s.stop()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp, self._synthetic = None, None
