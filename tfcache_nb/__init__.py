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
    "ModelExecutionError": ".errors",
    "ModelLoadError": ".errors",
    "ImageError": ".errors",
    "InvalidArgumentError": ".errors",
    "BrowserClientError": ".errors",
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
    "load_artifacts": ".inference.loading",
    "TieredCache": ".io.tiered_cache",
    "LoadReport": ".cache.report",
    "default_cache_key": ".cache.keys",
    "Strategy": ".cache.strategy",
    # inference
    "load_model": ".inference.model",
    "Model": ".inference.model",
    "StepTiming": ".inference.plan",
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
    "find_model": ".experiments.sources",
    "find_models": ".experiments.found_models",
    "ModelSource": ".experiments.sources",
    "fit_report": ".experiments.fit",
    "FitReport": ".experiments.fit",
    "FormFit": ".experiments.fit",
    "run_launches": ".experiments.launches",
    "LaunchResults": ".experiments.launches",
    "simulate_population": ".experiments.population",
    "PopulationResults": ".experiments.population",
    "PopulationSample": ".experiments.population_sample",
    "LocalTimes": ".experiments.local_times",
    # presentation
    "plot_storage": ".viz.charts",
    "plot_load_times": ".viz.charts",
    "plot_predictions": ".viz.charts",
    "plot_profile": ".viz.charts",
    "plot_fit": ".viz.charts",
    "plot_launches": ".viz.charts",
    "plot_population": ".viz.charts",
    "Dashboard": ".widgets.dashboard",
    "human_bytes": "._units",
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


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs; at run time names load lazily
    from .cache.keys import default_cache_key
    from .inference.loading import load_artifacts
    from .cache.report import LoadReport
    from .cache.strategy import Strategy
    from .errors import BrowserClientError, CacheIntegrityError, ImageError, InvalidArgumentError, ModelExecutionError, ModelFormatError, ModelLoadError, StorageError, StorageQuotaError, StorageValueTooLargeError, TfcacheError
    from .experiments.results import ExperimentResults
    from .experiments.fit import FitReport, FormFit, fit_report
    from .experiments.launches import LaunchResults, run_launches
    from .experiments.local_times import LocalTimes
    from .experiments.population import PopulationResults, simulate_population
    from .experiments.population_sample import PopulationSample
    from .experiments.runner import run_experiment
    from .experiments.found_models import find_models
    from .experiments.sources import ModelSource, find_model
    from .format.artifacts import ModelArtifacts, ModelArtifactsInfo
    from .format.synthetic import synthetic_mobilenet
    from .inference.classes import IMAGENET_CLASSES
    from .inference.mobilenet import MobileNet, Prediction
    from .inference.model import Model, load_model
    from .inference.plan import StepTiming
    from .io.cache_metadata import CacheMetadata
    from .io.file_storage_io import file_storage_io
    from .io.folder_io import folder_io
    from .io.handler import SaveResult
    from .io.http_io import http_io
    from .io.local_storage_io import local_storage_io
    from .io.management import copy_model, list_models, move_model, remove_model
    from .io.router import io_for
    from .io.tiered_cache import TieredCache
    from .netsim.faults import Fault
    from .netsim.latency_model import expected_load_time
    from .netsim.profiles import PROFILES, Profile
    from .netsim.server import ModelServer
    from .storage.base import StorageInfo
    from .storage.dict_storage import DictStorage
    from .storage.wx_storage import WxStorage
    from .viz.charts import plot_fit, plot_launches, plot_load_times, plot_population, plot_predictions, plot_profile, plot_storage
    from .widgets.dashboard import Dashboard
    from ._units import human_bytes
