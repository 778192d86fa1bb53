"""The one unit convention for sizes: binary units written as such (KiB, MiB, GiB).

WeChat's "10 MB" cap is 10 x 1024 x 1024 bytes, so binary units let the cap read as the round
10 MiB it is, and every size beside it (a model's weights, the storage used, a download) is in the
same unit. Every size the package shows, in the CLI, charts, HTML views and progress lines, goes
through :func:`human_bytes`; :func:`exact_bytes` gives the byte count for a tooltip or a footnote.
A model's "weights" are its weight data (the shards), without the model.json topology.
"""

from __future__ import annotations

import math

KIB = 1024
MIB = 1024 * 1024
GIB = 1024 * 1024 * 1024


def human_bytes(n: float | int | None) -> str:
    """1536 -> '1.5 KiB', 1902176 -> '1.81 MiB', a whole 10 MiB -> '10 MiB' (caps read as
    WeChat writes them); '-' for None or NaN (a size that is missing)."""
    if n is None or (isinstance(n, float) and math.isnan(n)):
        return "-"
    size = abs(float(n))
    sign = "-" if n < 0 else ""
    if size < KIB:
        return f"{sign}{size:.0f} B"
    unit, name, decimals = ((KIB, "KiB", 1) if size < MIB else (MIB, "MiB", 2) if size < GIB
                            else (GIB, "GiB", 2))
    if size % unit == 0:
        return f"{sign}{size / unit:.0f} {name}"
    return f"{sign}{size / unit:.{decimals}f} {name}"


def exact_bytes(n: int | None) -> str:
    """1902176 -> '1,902,176 bytes': the exact figure behind a rounded one."""
    return "-" if n is None else f"{int(n):,} bytes"


def mib(n: float | int) -> float:
    """Bytes as a number of MiB, for a chart's axis (labelled with :data:`MIB_LABEL`)."""
    return float(n) / MIB


#: The axis label unit that goes with :func:`mib`.
MIB_LABEL = "MiB"
