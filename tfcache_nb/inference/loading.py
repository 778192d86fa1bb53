"""``tc.load_artifacts``: the cache-aware loader, with the numpy runner measuring what quantizing costs.

The cache policy (layer 3) cannot run a model, so it takes a drift meter as a plug point;
this is where the public loader plugs in the numpy runner, whenever ``quantize="auto"`` or
``max_drift`` asks for the cost of a form.
"""

from __future__ import annotations

from typing import Any

from ..cache import loader
from ..cache.report import LoadReport
from ..format.artifacts import ModelArtifacts
from .drift import numpy_drift_meter


def load_artifacts(source: Any, **options: Any) -> tuple[ModelArtifacts, LoadReport]:
    """Load a model through the cache (see ``cache.loader.load_artifacts`` for the options);
    with ``quantize="auto"`` or ``max_drift``, forms are chosen by their measured drift."""
    if options.get("drift_meter") is None and (options.get("quantize") == "auto"
                                               or options.get("max_drift") is not None):
        options["drift_meter"] = numpy_drift_meter()
    return loader.load_artifacts(source, **options)


load_artifacts.__wrapped__ = loader.load_artifacts  # type: ignore[attr-defined]  # inspect.signature shows the options
