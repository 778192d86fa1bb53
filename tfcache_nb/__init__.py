"""tfcache_nb: study how TensorFlow.js models are cached on the client.

The public API is re-exported here and loaded lazily, so ``import tfcache_nb`` stays fast and
matplotlib or ipywidgets are imported only when a chart or widget is asked for. The modules
behind these names are private; see docs/ARCHITECTURE.md for the layers.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> module that defines it (relative to this package)
_EXPORTS: dict[str, str] = {
    # errors
    "TfcacheError": ".errors",
    "StorageError": ".errors",
    "StorageQuotaError": ".errors",
    "StorageValueTooLargeError": ".errors",
    "CacheIntegrityError": ".errors",
    "ModelFormatError": ".errors",
    "ModelLoadError": ".errors",
    "ImageError": ".errors",
    # model format
    "ModelArtifacts": ".format.artifacts",
    "ModelArtifactsInfo": ".format.artifacts",
    "synthetic_mobilenet": ".format.synthetic",
    # storages
    "WxStorage": ".storage.wx_storage",
    "DictStorage": ".storage.dict_storage",
    "StorageInfo": ".storage.base",
    # IO handlers and model management
    "SaveResult": ".io.handler",
    "http_io": ".io.http_io",
    "local_storage_io": ".io.local_storage_io",
    "file_storage_io": ".io.file_storage_io",
    "CacheMetadata": ".io.cache_metadata",
    "folder_io": ".io.folder_io",
    "io_for": ".io.router",
    "list_models": ".io.management",
    "remove_model": ".io.management",
    "copy_model": ".io.management",
    "move_model": ".io.management",
    # the cache-aware loader
    "load_artifacts": ".cache.loader",
    "LoadReport": ".cache.report",
    "default_cache_key": ".cache.keys",
    # inference
    "load_model": ".inference.model",
    "Model": ".inference.model",
    "MobileNet": ".inference.mobilenet",
    "Prediction": ".inference.mobilenet",
    "IMAGENET_CLASSES": ".inference.classes",
    # network simulation
    "ModelServer": ".netsim.server",
    "Profile": ".netsim.profiles",
    "PROFILES": ".netsim.profiles",
    "Fault": ".netsim.faults",
    "expected_load_time": ".netsim.latency_model",
    # experiments
    "run_experiment": ".experiments.runner",
    "ExperimentResults": ".experiments.results",
    # presentation
    "plot_storage": ".viz.charts",
    "plot_load_times": ".viz.charts",
    "plot_predictions": ".viz.charts",
    "Dashboard": ".widgets.dashboard",
}

__all__ = sorted(_EXPORTS) + ["__version__"]


def __getattr__(name: str) -> Any:
    module_name = _EXPORTS.get(name)
    if module_name is None:
        raise AttributeError(f"module 'tfcache_nb' has no attribute {name!r}")
    value = getattr(importlib.import_module(module_name, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from .errors import (ImageError, ModelFormatError, ModelLoadError, StorageError,
                         StorageQuotaError, StorageValueTooLargeError, TfcacheError)
    from .format.artifacts import ModelArtifacts, ModelArtifactsInfo
