"""Serving local models on 127.0.0.1, so they load over real HTTP and a network profile can
pace them: :func:`serve` for one load (a CLI command), :class:`LocalServers` for many (a
dashboard or a notebook loads the same model again and again).

A synthetic source has no folder: it is written to a temporary folder (fixed seed) first.
Which source to serve is decided by :mod:`.sources`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import tempfile
import threading
from pathlib import Path
from typing import Iterator

from ..netsim.profiles import Profile
from ..netsim.server import ModelServer
from .sources import ModelSource, describe, synthetic_name


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

    return write_synthetic_mobilenet(parent / synthetic_name(alpha), alpha=alpha, seed=0)


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
def serve(source: ModelSource, profile: Profile | str | None = None, *,
          folder: Path | None = None) -> Iterator[ServedSource]:
    """Serve a local source on 127.0.0.1 (paced by ``profile``) for the ``with`` block; a URL
    is yielded as is (``profile`` cannot apply to it: ``profile_applied`` is False).

    ``folder``: where :func:`materialized` already put the source's files, so a run serving
    it for many trials writes the synthetic model once (by default it is written here)."""
    if source.url is not None:
        yield ServedSource(source, source.url, source.cache_key, None, False)
        return
    with contextlib.ExitStack() as stack:
        if folder is None:
            folder = stack.enter_context(materialized(source))
        server = stack.enter_context(ModelServer(folder, profile=profile))  # type: ignore[arg-type]
        yield ServedSource(source, server.url + "/model.json", source.cache_key, server, profile is not None)


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

    def url_of(self, source: ModelSource, profile: Profile | str | None = None) -> str:
        """Where to load ``source`` from: its own URL, else its folder's server (paced by ``profile``)."""
        if source.url is not None:
            return source.url
        return self.url_for(self.folder_of(source), profile)  # type: ignore[arg-type]

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


__all__ = ["ServedSource", "LocalServers", "serve", "materialized"]
