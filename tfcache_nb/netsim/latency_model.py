"""The expected cold-load time of a model over a simulated network, by the server's own rules.

A TensorFlow.js load fetches model.json (one request), then all weight shards in parallel.
:class:`~tfcache_nb.netsim.server.ModelServer` paces them by three rules: at most
``c = min(profile.max_connections, concurrency)`` requests at once, each waits one round
trip before its first byte, and bodies share one link of ``down_kbps``. This module replays
exactly those rules as a small deterministic event simulation, so a measured load can be
compared to its expectation.

Closed form, for intuition: with ``n`` shards, ``c`` connections and ``B`` bytes per second,

    total = (rtt + json_bytes / B) + ceil(n / c) * rtt + shard_bytes / B

when the shards are of equal size: they go in waves of ``c`` that start, share the link and
finish together, so every wave pays a round trip with the link idle. Shards of different
sizes let a round trip overlap another body's transfer, down to a single visible round trip
(``rtt + shard_bytes / B``) when one large shard keeps the link busy; the simulation gives
the exact figure in between. Jitter counts with its mean (the round trip itself for
symmetric jitter smaller than it).
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence, Union

from .._units import human_bytes
from ..errors import InvalidArgumentError, ModelFormatError
from .profiles import Profile

Sizes = Union[str, os.PathLike, Sequence]


@dataclass(frozen=True)
class LatencyEstimate:
    """An expected load time and where it goes.

    ``transfer_s`` is the time the link is busy (all bytes over the bandwidth);
    ``round_trip_s`` is the rest, the time spent waiting on round trips with the link idle.
    """

    total_s: float
    model_json_s: float
    shards_s: float
    transfer_s: float
    round_trip_s: float
    requests: int
    bytes: int
    concurrency: int
    profile: str

    def __str__(self) -> str:
        return (f"{self.total_s:.2f} s expected on {self.profile or 'custom profile'} "
                f"({self.requests} requests, {human_bytes(self.bytes)}: "
                f"{self.round_trip_s:.2f} s round trips + {self.transfer_s:.2f} s transfer)")


def expected_load_time(sizes_or_folder: Sizes, profile: Profile | str | None, *,
                       concurrency: int = 6) -> LatencyEstimate:
    """Expected cold-load time of a model under ``profile``, by the server's pacing rules.

    ``sizes_or_folder``: a model folder or model.json path, or ``[model_json_bytes,
    [shard_bytes, ...]]``. ``concurrency``: how many requests the client makes at once.
    ``profile=None`` (no throttling) expects zero seconds.
    """
    json_bytes, shard_bytes = _sizes(sizes_or_folder)
    if isinstance(profile, str):
        profile = Profile.from_name(profile)
    total_bytes = json_bytes + sum(shard_bytes)
    n_req = 1 + len(shard_bytes)
    if concurrency < 1:
        raise InvalidArgumentError("concurrency must be >= 1")
    if profile is None:
        return LatencyEstimate(0.0, 0.0, 0.0, 0.0, 0.0, n_req, total_bytes, concurrency, "")
    c = min(int(profile.max_connections), int(concurrency))
    rtt = profile.mean_rtt_s()
    rate = profile.bytes_per_s
    t_json = simulate([json_bytes], rtt, rate, 1)
    t_shards = simulate(shard_bytes, rtt, rate, c)
    total = t_json + t_shards
    transfer = total_bytes / rate
    return LatencyEstimate(total, t_json, t_shards, transfer, max(0.0, total - transfer),
                           n_req, total_bytes, c, profile.name)


def simulate(sizes: Sequence[int], rtt_s: float, bytes_per_s: float, slots: int) -> float:
    """Finish time of ``sizes`` requested in order through ``slots`` connections.

    Each request, once it holds a slot, waits ``rtt_s``; then its body shares the link
    with every other body in transfer (processor sharing).
    """
    return _simulate([int(x) for x in sizes], rtt_s, bytes_per_s, slots)


def _simulate(sizes: list[int], rtt_s: float, rate: float, slots: int) -> float:
    queue = list(reversed(sizes))
    t = 0.0
    waiting: list[tuple[float, int]] = []   # (ready time, size)
    sending: list[float] = []               # remaining bytes
    eps = 1e-9
    while queue or waiting or sending:
        while queue and len(waiting) + len(sending) < slots:
            waiting.append((t + rtt_s, queue.pop()))
        # bodies whose round trip is over join the link
        still = []
        for ready, size in waiting:
            if ready <= t + eps:
                if size > 0:
                    sending.append(float(size))
            else:
                still.append((ready, size))
        if len(still) != len(waiting):
            waiting = still
            continue  # a zero-size body may have freed a slot
        next_ready = min((r for r, _ in waiting), default=math.inf)
        if sending:
            share = rate / len(sending)
            next_done = min(sending) / share
        else:
            share, next_done = 0.0, math.inf
        dt = min(next_ready - t, next_done)
        if sending:
            sending = [b - share * dt for b in sending]
            sending = [b for b in sending if b > eps * rate]
        t += dt
    return t


def _sizes(src: Sizes) -> tuple[int, list[int]]:
    if isinstance(src, (str, os.PathLike)):
        return _sizes_from_folder(Path(src))
    try:
        json_bytes, shards = src
        return int(json_bytes), [int(s) for s in shards]
    except (TypeError, ValueError):
        raise InvalidArgumentError("sizes_or_folder must be a model folder, a model.json path or "
                        "[model_json_bytes, [shard_bytes, ...]]") from None


def _sizes_from_folder(path: Path) -> tuple[int, list[int]]:
    model_json = path / "model.json" if path.is_dir() else path
    try:
        raw = model_json.read_bytes()
        doc = json.loads(raw)
    except OSError:
        raise ModelFormatError(f"cannot read {model_json}: no model.json there") from None
    except ValueError:
        raise ModelFormatError(f"{model_json} is not valid JSON") from None
    manifest = doc.get("weightsManifest", []) if isinstance(doc, dict) else None
    if not isinstance(manifest, list):
        raise ModelFormatError(f"{model_json}: weightsManifest must be a list of groups")
    shards: list[int] = []
    for group in manifest:
        for rel in (group.get("paths", []) if isinstance(group, dict) else []):
            shard = model_json.parent / rel
            try:
                shards.append(shard.stat().st_size)
            except OSError:
                raise ModelFormatError(f"weight shard {rel!r} listed in {model_json} "
                                       f"is missing") from None
    return len(raw), shards


__all__ = ["expected_load_time", "LatencyEstimate", "simulate"]
