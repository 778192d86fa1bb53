"""Where a model comes from: one rule for the CLI, the notebooks, the dashboard and the runner.

:func:`find_model` looks, in this order, for:

1. the model the caller named (``--model-dir`` / ``--model-url``, a folder or URL argument);
2. ``$TFCACHE_NB_MODEL_DIR``: a model folder, or a folder of model folders (when set, it
   replaces step 3, so it also says "no local models" when it points at an empty folder);
3. ``../shared/models`` beside the checkout this package runs from (or the one around the
   working directory);
4. the real ``mobilenet_v1_0.25_224`` embedded in the package (``tfcache_nb/data/``);
5. Google's published URL, for the other models, when it answers (``$TFCACHE_NB_INTERNET=0``
   skips the check, ``=1`` skips it and uses the URL);
6. a synthetic MobileNet of the same width (the real architecture, random weights: its
   predictions mean nothing, and every caller says so).

Local models come before the network, so an offline user never waits on a timeout for the
default model: the embedded copy is the very file Google serves. Local folders, the embedded
model and the synthetic one are served on 127.0.0.1 by a :class:`ModelServer`, so they load
over real HTTP and a network profile can pace them. Cache keys come from the folder, never
from the server's URL: the server picks a new port on every run, and a key derived from it
would store a new copy of the model each time.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import tempfile
import threading
from importlib import resources
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from ..cache.keys import default_cache_key
from ..errors import ModelLoadError
from ..netsim.profiles import Profile
from ..netsim.server import ModelServer

DEFAULT_MODEL_NAME = "mobilenet_v1_0.25_224"
GOOGLE_URL = "https://storage.googleapis.com/tfjs-models/tfjs/{}/model.json"
DEFAULT_MODEL_URL = GOOGLE_URL.format(DEFAULT_MODEL_NAME)
REAL_URL = "https://storage.googleapis.com/tfjs-models/tfjs/mobilenet_v1_{}_224/model.json"
#: the TF Hub module that @tensorflow-models/mobilenet loads; fetched with ``tfhub=True``
TFHUB_URLS = {"mobilenet_v1_025_224_graph": "https://tfhub.dev/google/imagenet/mobilenet_v1_025_224/classification/1"}
GOOGLE_WIDTHS = ("0.25", "0.50", "0.75", "1.0")
MODEL_DIR_ENV = "TFCACHE_NB_MODEL_DIR"
INTERNET_ENV = "TFCACHE_NB_INTERNET"
SYNTHETIC_NAME = "synthetic_mobilenet_v1_0.25_224"
SYNTHETIC_LABEL = "synthetic MobileNet v1 0.25 (synthetic, random weights; served locally)"
SYNTHETIC_NOTE = "synthetic model with random weights: its predictions mean nothing."
EMBEDDED_NOTE = "the real mobilenet_v1_0.25_224 shipped inside tfcache_nb, served on 127.0.0.1."


def _synthetic_key(alpha: float) -> str:
    digest = hashlib.sha256(f"tfcache_nb/synthetic/alpha={alpha:g}/seed=0".encode()).hexdigest()[:8]
    return f"{_synthetic_name(alpha)}-{digest}"


def _synthetic_name(alpha: float) -> str:
    return f"synthetic_mobilenet_v1_{_width(alpha)}_224"


def _width(alpha: float) -> str:
    """Google's spelling of a width: 0.25, 0.50, 0.75, 1.0."""
    return {0.5: "0.50", 1.0: "1.0"}.get(alpha, f"{alpha:g}")


#: the synthetic model is written with a fixed seed, so one key names it in every session
SYNTHETIC_KEY = _synthetic_key(0.25)


def embedded_model_dir() -> Path:
    """The folder of the mobilenet_v1_0.25_224 shipped in the package (with its NOTICE.md)."""
    return Path(str(resources.files("tfcache_nb").joinpath("data", DEFAULT_MODEL_NAME)))


@dataclasses.dataclass(frozen=True)
class ModelSource:
    """One model source: a URL, a local folder (the embedded model is one), or a synthetic
    MobileNet of width ``alpha`` (``synthetic`` with no folder)."""

    label: str
    url: str | None = None
    folder: Path | None = None
    synthetic: bool = False
    alpha: float = 0.25
    tfhub: bool = False

    @property
    def local(self) -> bool:
        """Served on 127.0.0.1, so a network profile applies (folders and the synthetic model)."""
        return self.url is None

    @property
    def embedded(self) -> bool:
        return self.folder is not None and self.folder == embedded_model_dir().resolve()

    @property
    def kind(self) -> str:
        """``"url"``, ``"embedded"``, ``"folder"`` or ``"synthetic"``."""
        if self.url is not None:
            return "url"
        if self.folder is None:
            return "synthetic"
        return "embedded" if self.embedded else "folder"

    @property
    def name(self) -> str:
        if self.folder is not None:
            return self.folder.name
        if self.synthetic:
            return _synthetic_name(self.alpha)
        return default_cache_key(self.url).rsplit("-", 1)[0]

    @property
    def cache_key(self) -> str:
        """Stable across runs: from the folder's path, the URL, or the synthetic model's seed."""
        if self.folder is not None:
            return default_cache_key(self.folder)
        if self.synthetic:
            return _synthetic_key(self.alpha)
        return default_cache_key(self.url)

    @property
    def load_options(self) -> dict[str, Any]:
        """What ``load_artifacts`` needs besides the URL (``tfhub=True`` for a TF Hub module)."""
        return {"tfhub": True} if self.tfhub else {}

    @property
    def note(self) -> str:
        if self.synthetic:
            return SYNTHETIC_NOTE
        if self.url:
            return "loaded over the real internet: the network profile does not apply."
        if self.embedded:
            return EMBEDDED_NOTE
        return ""

    @classmethod
    def from_url(cls, url: str, *, tfhub: bool = False) -> "ModelSource":
        return cls(url, url=url, tfhub=tfhub)

    @classmethod
    def from_folder(cls, folder: str | os.PathLike[str], name: str = DEFAULT_MODEL_NAME) -> "ModelSource":
        path = resolve_model_dir(folder, name)
        if path == embedded_model_dir().resolve():
            return cls.embedded_model()
        return cls(f"{path.name} from {path}", folder=path, synthetic=is_synthetic_folder(path))

    @classmethod
    def embedded_model(cls) -> "ModelSource":
        return cls(f"{DEFAULT_MODEL_NAME} (real weights, shipped inside tfcache_nb)",
                   folder=embedded_model_dir().resolve())

    @classmethod
    def synthetic_model(cls, alpha: float = 0.25) -> "ModelSource":
        label = SYNTHETIC_LABEL if alpha == 0.25 else SYNTHETIC_LABEL.replace("0.25", _width(alpha))
        return cls(label, synthetic=True, alpha=alpha)


def resolve_model_dir(path: str | os.PathLike[str], name: str = DEFAULT_MODEL_NAME) -> Path:
    """A model folder: the folder itself (or a model.json's folder), or its ``name`` child
    (``mobilenet_v1_0.25_224`` in the shared models folder). Absolute."""
    folder = Path(path).expanduser()
    if folder.suffix == ".json":
        folder = folder.parent
    if (folder / "model.json").is_file():
        return folder.resolve()
    if (folder / name / "model.json").is_file():
        return (folder / name).resolve()
    raise ModelLoadError(f"there is no model.json in {folder}.", url=str(folder), cause="not found")


def is_synthetic_folder(folder: Path) -> bool:
    """Whether the folder holds a synthetic model (its model.json's userDefinedMetadata says so)."""
    try:
        with open(folder / "model.json", encoding="utf-8") as fh:
            meta = json.load(fh).get("userDefinedMetadata")
    except (OSError, ValueError, AttributeError):
        return False
    return isinstance(meta, dict) and meta.get("synthetic") is True


# -- the rule ----------------------------------------------------------------------------------
def _checkouts() -> list[Path]:
    """The checkout this package runs from (an editable install), and one around the working
    directory (the repository root, or its notebooks/ folder)."""
    found: list[Path] = []
    for base in (Path(__file__).resolve().parents[2], Path.cwd(), Path.cwd().parent):
        if (base / "pyproject.toml").is_file() and (base / "tfcache_nb").is_dir() and base not in found:
            found.append(base)
    return found


def local_model_roots() -> list[Path]:
    """Where local models are looked for: ``$TFCACHE_NB_MODEL_DIR`` alone when set, else
    ``../shared/models`` beside the checkout. A set variable naming no folder is an error."""
    env = os.environ.get(MODEL_DIR_ENV)
    if env:
        root = Path(env).expanduser()
        if not root.is_dir():
            raise ModelLoadError(f"${MODEL_DIR_ENV} is {env}, which is not a folder.", url=env, cause="not found")
        return [root.resolve()]
    roots = [c.parent / "shared" / "models" for c in _checkouts()]
    return [r.resolve() for r in roots if r.is_dir()]


def _local_folder(name: str) -> Path | None:
    for root in local_model_roots():
        if (root / name / "model.json").is_file():
            return (root / name).resolve()
        # a single model folder: the default model, or a folder named as asked
        if (root / "model.json").is_file() and (root.name == name or name == DEFAULT_MODEL_NAME):
            return root
    return None


def google_url(name: str) -> ModelSource | None:
    """Google's published URL for ``name`` (the tfjs-models files, or the TF Hub module)."""
    if name in TFHUB_URLS:
        return ModelSource(f"{name} (TF Hub, over the internet)", url=TFHUB_URLS[name], tfhub=True)
    if name in {f"mobilenet_v1_{w}_224" for w in GOOGLE_WIDTHS}:
        return ModelSource(f"{name} (Google's storage, over the internet)", url=GOOGLE_URL.format(name))
    return None


_REACHABLE: dict[str, bool] = {}


def internet_reachable(url: str, timeout: float = 3.0) -> bool:
    """Whether ``url``'s host answers at all (one small request, remembered for the process).

    ``$TFCACHE_NB_INTERNET=0`` answers no and ``=1`` yes without asking."""
    forced = os.environ.get(INTERNET_ENV)
    if forced in ("0", "1"):
        return forced == "1"
    host = url.split("/", 3)[2] if "://" in url else url
    if host not in _REACHABLE:
        import requests

        try:
            requests.head(url, timeout=timeout, allow_redirects=True)
            _REACHABLE[host] = True
        except requests.RequestException:
            _REACHABLE[host] = False
    return _REACHABLE[host]


def _alpha_of(name: str) -> float | None:
    """The width of a MobileNet v1 layers model named like Google's (None for anything else)."""
    parts = name.split("_")
    if len(parts) == 4 and parts[:2] == ["mobilenet", "v1"] and parts[3] == "224":
        with contextlib.suppress(ValueError):
            alpha = float(parts[2])
            if alpha in (0.25, 0.5, 0.75, 1.0):
                return alpha
    return None


def find_model(name: str = DEFAULT_MODEL_NAME, *, model_dir: str | os.PathLike[str] | None = None,
               model_url: str | None = None, say: Callable[[str], object] = print) -> ModelSource:
    """The source of model ``name`` by the rule in this module's docstring; ``say`` tells when
    it falls back to a synthetic model. Raises :class:`ModelLoadError` when nothing is found
    (a graph model offline: no synthetic stands in for it)."""
    if model_dir:
        return ModelSource.from_folder(model_dir, name)
    if model_url:
        return ModelSource.from_url(model_url)
    folder = _local_folder(name)
    if folder is not None:
        return ModelSource.from_folder(folder, name)
    if name == DEFAULT_MODEL_NAME:
        return ModelSource.embedded_model()
    remote = google_url(name)
    if remote is not None and internet_reachable(remote.url):  # type: ignore[arg-type]
        return remote
    alpha = _alpha_of(name)
    where = " and Google's storage does not answer" if remote is not None else ""
    if alpha is None:
        raise ModelLoadError(f"{name} is not on this machine{where}.", url=name, cause="not found")
    say(f"{name} is not on this machine{where}: using a synthetic MobileNet v1 {_width(alpha)} "
        "served locally (random weights: its predictions mean nothing).")
    return ModelSource.synthetic_model(alpha)


# -- serving -----------------------------------------------------------------------------------
@contextlib.contextmanager
def materialized(source: ModelSource) -> Iterator[Path | None]:
    """The folder holding ``source``'s files (the synthetic model written to a temporary
    folder for the duration), or None for a URL."""
    if source.folder is not None or not source.synthetic:
        yield source.folder
        return
    with tempfile.TemporaryDirectory(prefix="tfcache_nb_synthetic_") as tmp:
        yield _write_synthetic(Path(tmp), source.alpha)


def _write_synthetic(parent: Path, alpha: float = 0.25) -> Path:
    from ..format.synthetic import write_synthetic_mobilenet

    return write_synthetic_mobilenet(parent / _synthetic_name(alpha), alpha=alpha, seed=0)


def describe(source: ModelSource, server_url: str | None = None) -> str:
    """One line: what the model is and where it is served from."""
    where = f", served on {server_url}" if server_url else ""
    if source.url is not None:
        return source.url
    if source.folder is None:
        return f"synthetic MobileNet v1 {_width(source.alpha)} (random weights: its predictions mean nothing){where}"
    if source.embedded:
        return f"{DEFAULT_MODEL_NAME}, the real model shipped inside tfcache_nb{where}"
    what = " (a synthetic model: random weights)" if source.synthetic else ""
    return f"{source.folder.name}{what} from {source.folder}{where}"


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
        return describe(self.source, self.server.url if self.server is not None else None)

    @property
    def deadline(self) -> float:
        """Seconds to give a whole load of it, so nothing hangs on a trickling server: 3x
        what the latency model expects plus 30 s when served here (see
        :func:`~tfcache_nb.transport.deadline.deadline_for`), a generous fixed 300 s for a URL."""
        from ..netsim.latency_model import expected_load_time
        from ..transport.deadline import deadline_for

        if self.server is None:
            return deadline_for(None)
        return deadline_for(expected_load_time(self.server.folder, self.server.profile).total_s)


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
def local_model_folders(model_dir: str | os.PathLike[str] | None = None) -> list[Path]:
    """Folders holding a model.json in ``model_dir`` (or the rule's local places), sorted."""
    roots = [Path(model_dir)] if model_dir is not None else local_model_roots()
    for root in roots:
        if root.is_dir():
            subs = sorted(p.resolve() for p in root.iterdir() if (p / "model.json").is_file())
            if (root / "model.json").is_file():
                subs.insert(0, root.resolve())
            if subs:
                return subs
    return []


def preset_sources(model_dir: str | os.PathLike[str] | None = None, *, real_urls: bool = True) -> list[ModelSource]:
    """The dashboard's choices, best first by the same rule: local folders, the embedded
    model (unless a local copy of it is listed), synthetic stand-ins (0.25, and 0.75 unless a
    real one is local), then Google's URLs (they need the internet)."""
    folders = local_model_folders(model_dir)
    out = [ModelSource(f"{p.name} (local folder, served on 127.0.0.1)", folder=p, synthetic=is_synthetic_folder(p))
           for p in folders]
    names = {p.name for p in folders}
    if DEFAULT_MODEL_NAME not in names:
        out.append(ModelSource(f"{DEFAULT_MODEL_NAME} (real, shipped inside tfcache_nb; served on 127.0.0.1)",
                               folder=embedded_model_dir().resolve()))
    out.append(ModelSource.synthetic_model(0.25))
    if "mobilenet_v1_0.75_224" not in names:
        out.append(ModelSource.synthetic_model(0.75))
    if real_urls:
        out += [ModelSource(f"mobilenet_v1_{a}_224 (Google, needs the internet)", url=REAL_URL.format(a))
                for a in GOOGLE_WIDTHS]
    return out


class LocalServers:
    """One ModelServer per folder, started on first use and kept (a dashboard or a notebook
    loads the same model many times); :meth:`close` stops them and removes synthetic files."""

    def __init__(self) -> None:
        self._servers: dict[Path, ModelServer] = {}
        self._lock = threading.Lock()
        self._synthetic: dict[float, Path] = {}
        self._tmp: tempfile.TemporaryDirectory[str] | None = None

    def synthetic_folder(self, alpha: float = 0.25) -> Path:
        with self._lock:
            if alpha not in self._synthetic:
                if self._tmp is None:
                    self._tmp = tempfile.TemporaryDirectory(prefix="tfcache_nb_synthetic_")
                self._synthetic[alpha] = _write_synthetic(Path(self._tmp.name), alpha)
            return self._synthetic[alpha]

    def folder_of(self, source: ModelSource) -> Path | None:
        if source.folder is None and source.synthetic:
            return self.synthetic_folder(source.alpha)
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
            self._tmp, self._synthetic = None, {}


# -- several models at once, for a notebook ------------------------------------------------------
class FoundModels:
    """The models a notebook uses, found by :func:`find_model` and served on 127.0.0.1 when
    local. ``url(name)`` to load one, ``folder(name)`` for experiments (a URL source is
    downloaded once into a temporary folder), ``str()`` says where each came from."""

    def __init__(self, names: Iterable[str], *, say: Callable[[str], object] = print) -> None:
        self.sources: dict[str, ModelSource | None] = {}
        self.missing: dict[str, str] = {}
        for name in names:
            try:
                self.sources[name] = find_model(name, say=lambda _m: None)
            except ModelLoadError as exc:
                self.sources[name], self.missing[name] = None, str(exc)
        self._servers = LocalServers()
        self._downloads: tempfile.TemporaryDirectory[str] | None = None
        say(str(self))

    def __getitem__(self, name: str) -> ModelSource:
        src = self.sources.get(name)
        if src is None:
            raise ModelLoadError(self.missing.get(name, f"{name} was not asked for."), url=name, cause="not found")
        return src

    def has(self, name: str) -> bool:
        return self.sources.get(name) is not None

    def synthetic(self, name: str) -> bool:
        """Whether ``name`` is a synthetic stand-in (its predictions mean nothing)."""
        return self[name].synthetic

    def url(self, name: str, profile: Profile | str | None = None) -> str:
        src = self[name]
        if src.url is not None:
            return src.url
        return self._servers.url_for(self._servers.folder_of(src), profile)  # type: ignore[arg-type]

    def load_options(self, name: str) -> dict[str, Any]:
        return self[name].load_options

    def folder(self, name: str) -> Path:
        src = self[name]
        if src.url is None:
            return self._servers.folder_of(src)  # type: ignore[return-value]
        from ..cache.loader import load_artifacts
        from ..io.router import io_for

        if self._downloads is None:
            self._downloads = tempfile.TemporaryDirectory(prefix="tfcache_nb_models_")
        folder = Path(self._downloads.name) / name
        if not (folder / "model.json").is_file():
            artifacts, _ = load_artifacts(src.url, **src.load_options)
            io_for(folder).save(artifacts)
        return folder

    def lines(self) -> list[str]:
        out = []
        for name, src in self.sources.items():
            if src is None:
                out.append(f"{name}: not available here ({self.missing[name]}) - the cells that need it are skipped")
                continue
            where = {"url": f"over the internet from {src.url}",
                     "embedded": "the real model shipped inside tfcache_nb, served on 127.0.0.1",
                     "folder": f"the real model in {src.folder}, served on 127.0.0.1",
                     "synthetic": "SYNTHETIC stand-in (the real architecture, random weights: its predictions "
                                  "mean nothing), served on 127.0.0.1"}[src.kind]
            out.append(f"{name}: {where}")
        return out

    def __str__(self) -> str:
        return "Models used here:\n" + "\n".join("  " + line for line in self.lines())

    def __repr__(self) -> str:
        return str(self)

    def close(self) -> None:
        self._servers.close()
        if self._downloads is not None:
            self._downloads.cleanup()
            self._downloads = None

    def __enter__(self) -> "FoundModels":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def find_models(names: Iterable[str], *, say: Callable[[str], object] = print) -> FoundModels:
    """Find several models by :func:`find_model`'s rule and serve the local ones (``close()``
    stops the servers); ``say`` prints one line per model saying where it came from."""
    return FoundModels(names, say=say)


__all__ = ["ModelSource", "ServedSource", "LocalServers", "FoundModels", "find_model", "find_models", "serve",
           "materialized", "describe", "resolve_model_dir", "internet_reachable", "local_model_roots",
           "local_model_folders", "preset_sources", "embedded_model_dir", "google_url", "is_synthetic_folder",
           "DEFAULT_MODEL_URL", "DEFAULT_MODEL_NAME", "SYNTHETIC_KEY", "SYNTHETIC_NOTE", "SYNTHETIC_LABEL",
           "EMBEDDED_NOTE"]
