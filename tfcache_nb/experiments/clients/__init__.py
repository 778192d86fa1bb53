"""The clients an experiment can time: the toolkit itself, and the real TensorFlow.js.

``"tfcache_nb"`` is this package's cache-aware loader (``load_artifacts``) on a WeChat-style
storage; ``"tfjs-chromium"`` is the pinned TensorFlow.js in headless Chromium
(:mod:`.tfjs_chromium`), the ground truth the toolkit's timings are checked against.
"""

from __future__ import annotations

TOOLKIT_CLIENT = "tfcache_nb"
BROWSER_CLIENT = "tfjs-chromium"
CLIENTS = (TOOLKIT_CLIENT, BROWSER_CLIENT)

__all__ = ["CLIENTS", "TOOLKIT_CLIENT", "BROWSER_CLIENT"]
