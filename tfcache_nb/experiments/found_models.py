"""Several models at once, for a notebook: each found by :func:`~.sources.find_model`'s rule,
served on 127.0.0.1 when local, and one line each saying where it came from (real, embedded,
synthetic, over the internet, or missing, in which case the cells that need it are skipped).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any, Callable, Iterable

from ..errors import ModelLoadError
from ..netsim.profiles import Profile
from .serving import LocalServers
from .sources import ModelSource, find_model


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
        return self._servers.url_of(self[name], profile)

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
            if src.synthetic:  # also a local folder holding a synthetic model: never called real
                where = ("SYNTHETIC stand-in (the real architecture, random weights: its predictions mean "
                         f"nothing){f' in {src.folder}' if src.folder is not None else ''}, served on 127.0.0.1")
            else:
                where = {"url": f"over the internet from {src.url}",
                         "embedded": "the real model shipped inside tfcache_nb, served on 127.0.0.1",
                         "folder": f"the real model in {src.folder}, served on 127.0.0.1"}[src.kind]
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


__all__ = ["FoundModels", "find_models"]
