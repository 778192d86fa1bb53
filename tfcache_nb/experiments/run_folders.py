"""The two folders an experiment works with: the model's (to serve or to publish versions
of) and its work folder (storages, published versions), a temporary one unless given.

Shared by the launch, population and cold-against-warm experiments, so each says the same
thing about a source without a model.json and cleans up the same way.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Iterator

from ..errors import InvalidArgumentError, TfcacheError
from .serving import materialized
from .sources import ModelSource, resolve_model_dir


@contextlib.contextmanager
def model_folder(source: str | os.PathLike | ModelSource) -> Iterator[Path]:
    """The folder holding ``source``'s files for the ``with`` block (the synthetic model
    written to a temporary one); a URL or a folder without a model.json is refused."""
    if isinstance(source, ModelSource):
        with materialized(source) as folder:
            if folder is None:
                raise InvalidArgumentError("launch experiments publish new versions of a model folder; "
                                           f"{source.label} is a URL: download it into a folder first.")
            yield Path(folder)
        return
    try:
        folder = resolve_model_dir(source)
    except TfcacheError:
        raise InvalidArgumentError(f"model source {os.fspath(source)!r}: no model.json there.") from None
    yield folder  # outside the try: an error of the run itself is told as it is


@contextlib.contextmanager
def work_folder(workdir: str | os.PathLike | None, prefix: str = "tfcache_nb_") -> Iterator[Path]:
    """``workdir`` (created if missing, kept afterwards), or a temporary folder named
    ``prefix...`` removed after the ``with`` block."""
    if workdir is not None:
        path = Path(workdir)
        path.mkdir(parents=True, exist_ok=True)
        yield path
        return
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        yield Path(tmp)


__all__ = ["model_folder", "work_folder"]
