"""Options shared by ``launches`` and ``population``: the model, the update schedule, amounts in
MiB, the network mix, and the JSON they print.

Values are parsed when the command runs, not by argparse, so a bad one is the command's
one-line error (exit 1) naming the option, before any model is loaded or any user is run.
"""

from __future__ import annotations

import json
import math
from typing import Any, Callable

from ..errors import InvalidArgumentError
from ..experiments.sources import ModelSource, describe, find_model
from ..netsim.profiles import Profile

MIB = 1024 * 1024


def model_source(value: str | None, say: Callable[[str], object]) -> ModelSource:
    """A model folder (or a folder with a mobilenet_v1_0.25_224 child), else the one rule's model."""
    source = find_model(model_dir=value, say=say)
    if not value:
        say(f"no model given: {describe(source)}")
    return source


def launch_numbers(text: str, option: str = "--updates") -> tuple[int, ...]:
    """``5,12`` -> (5, 12); ``""`` or ``none``: no updates. Their range is the schedule's to check."""
    if text.strip().lower() in ("", "none"):
        return ()
    try:
        return tuple(int(part) for part in text.split(","))
    except ValueError:
        raise InvalidArgumentError(f"{option} {text!r}: give launch numbers separated by commas, "
                                   "e.g. 5,12 (or 'none').") from None


def mib_amount(text: str, option: str, *, allow_range: bool = False) -> float | tuple[float, float]:
    """``3.5`` MiB (or ``LOW,HIGH``, drawn per user, when ``allow_range``) in bytes."""
    parts = text.split(",")
    form = "a number of MiB" + (" or LOW,HIGH" if allow_range else "")
    try:
        values = [float(p) for p in parts]
    except ValueError:
        values = []
    if not values or len(values) > (2 if allow_range else 1) or not all(0 <= v < math.inf for v in values):
        raise InvalidArgumentError(f"{option} {text!r}: give {form} of at least 0.")
    if len(values) == 2:
        return (values[0] * MIB, values[1] * MIB)
    return values[0] * MIB


def network_mix(text: str) -> dict[str, float]:
    """``4g=0.35,wifi=0.45`` -> {"4g": 0.35, "wifi": 0.45}; the names are checked here, the
    shares by :func:`tfcache_nb.simulate_population`."""
    mix: dict[str, float] = {}
    for part in text.split(","):
        name, sep, share = part.partition("=")
        name = name.strip()
        try:
            value = float(share) if sep else math.nan
        except ValueError:
            value = math.nan
        if not name or not math.isfinite(value):
            raise InvalidArgumentError(f"--mix {text!r}: {part.strip()!r} is not PROFILE=SHARE "
                                       "(e.g. 4g=0.35,wifi=0.65).")
        if name in mix:
            raise InvalidArgumentError(f"--mix {text!r}: the profile {name!r} is given twice.")
        Profile.from_name(name)  # an unknown name is said now, before local times are measured
        mix[name] = value
    return mix


def json_text(doc: Any) -> str:
    """The document as strict JSON: an undefined ratio (NaN) or an infinity becomes null."""
    def safe(value: Any) -> Any:
        if isinstance(value, float) and not math.isfinite(value):
            return None
        if isinstance(value, dict):
            return {k: safe(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [safe(v) for v in value]
        return value

    return json.dumps(safe(doc), indent=2, default=str, allow_nan=False)


__all__ = ["model_source", "launch_numbers", "mib_amount", "network_mix", "json_text", "MIB"]
