"""The toolkit's charts, each a function returning a matplotlib Figure (usable anywhere).

- :func:`plot_storage`: how full each WeChat-style storage namespace is, and with what;
- :func:`plot_load_times`: cold (network) against warm (cache) load times;
- :func:`plot_predictions`: an image beside MobileNet's top-k classes;
- :func:`plot_profile`: where a prediction's time goes, layer by layer;
- :func:`plot_fit`: each form of one or many models against the 10 MiB cap, with its cost;
- :func:`plot_launches`: launch after launch, per cache strategy, while the model changes;
- :func:`plot_population`: a population's launch times per strategy, with a real sample.

The figures use matplotlib's object API (no pyplot state), so they are safe in threads and
outside notebooks; :func:`figure_png` turns one into PNG bytes.
"""

from __future__ import annotations

from ._common import to_png as figure_png
from .fit_chart import plot_fit
from .launches import plot_launches
from .load_times import plot_load_times
from .population import plot_population
from .predictions import plot_predictions
from .profile import plot_profile
from .storage_usage import PendingModel, plot_storage, storage_usage

__all__ = ["plot_fit", "plot_storage", "plot_load_times", "plot_predictions", "plot_profile", "plot_launches",
           "plot_population", "figure_png", "PendingModel",
           "storage_usage"]
