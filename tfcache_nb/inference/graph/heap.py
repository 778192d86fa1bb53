"""Keep the memory a prediction frees for the next one (glibc only; opt out: TFCACHE_NB_MALLOC_TUNING=0).

A graph prediction allocates many arrays of a few hundred KB to a few MB and frees them as it
goes and when it ends. glibc hands such blocks back to the system (blocks above its mmap
threshold are unmapped on free; a free heap top above its trim threshold is trimmed), so the
next prediction faults the same pages in again, zero-filled by the kernel: faceboxes took ~450
page faults per prediction (~15% of its time), centernet ~2,300. glibc raises its mmap
threshold by itself, up to 32 MiB with trimming above 64 MiB; this sets those two values once,
for the process, when the first graph model is built. Up to 64 MiB of freed memory then stays
with the process instead of going back to the system; no result changes. Values the user set
(``MALLOC_MMAP_THRESHOLD_`` / ``MALLOC_TRIM_THRESHOLD_``) are left alone.
"""

from __future__ import annotations

import ctypes
import os
import platform

M_TRIM_THRESHOLD = -1  # glibc's malloc.h
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 * 2**20  # glibc's DEFAULT_MMAP_THRESHOLD_MAX on 64-bit systems
TRIM_THRESHOLD = 2 * MMAP_THRESHOLD  # what glibc's own adjustment pairs with it

OPT_OUT = "TFCACHE_NB_MALLOC_TUNING"
_tuned: bool | None = None


def keep_freed_memory() -> bool:
    """Set glibc's thresholds once; False when not done (opted out, set by the user, not glibc)."""
    global _tuned
    if _tuned is None:
        _tuned = _tune()
    return _tuned


def _tune() -> bool:
    if os.environ.get(OPT_OUT, "").strip().lower() in ("0", "false", "no", "off"):
        return False
    if os.environ.get("MALLOC_MMAP_THRESHOLD_") or os.environ.get("MALLOC_TRIM_THRESHOLD_"):
        return False
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    # the trim threshold first: setting either stops glibc's own adjustment of both
    return bool(mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD)) and bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD))
