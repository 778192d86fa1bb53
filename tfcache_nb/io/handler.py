"""What every IO handler offers: ``load()`` and ``save()``, as TensorFlow.js's ``io.IOHandler``.

A handler that can only load (HTTP) says so with ``can_save = False`` and raises
``NotImplementedError`` from ``save``.
"""

from __future__ import annotations

import dataclasses
from typing import Protocol, runtime_checkable

from ..format.artifacts import ModelArtifacts, ModelArtifactsInfo


@dataclasses.dataclass(frozen=True)
class SaveResult:
    """What a save reports (``io.SaveResult``): the byte counts saved, and any errors."""

    model_artifacts_info: ModelArtifactsInfo
    errors: list[str] | None = None


@runtime_checkable
class IOHandler(Protocol):
    """A place models are loaded from and, if ``can_save``, saved to."""

    can_save: bool

    def load(self) -> ModelArtifacts: ...

    def save(self, artifacts: ModelArtifacts) -> SaveResult: ...


__all__ = ["SaveResult", "IOHandler"]
