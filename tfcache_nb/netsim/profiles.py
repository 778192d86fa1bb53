"""Network profiles: the round trip, bandwidth and jitter the simulated server imposes.

Figures come from public tools people use to emulate phones (sources beside each preset).
Bandwidth is in kilobits of 1000 bits per second; the server paces response bodies only
(download), so upload figures are not modelled.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace

from ..errors import InvalidArgumentError
from .faults import Fault


@dataclass(frozen=True)
class Profile:
    """A simulated network: every request waits ``rtt_ms`` (+ seeded jitter) before its first
    byte, bodies share ``down_kbps``, at most ``max_connections`` requests are served at once.
    """

    rtt_ms: float
    down_kbps: float
    jitter_ms: float = 0.0
    max_connections: int = 6
    seed: int = 0
    offline: bool = False
    name: str = ""
    description: str = ""
    source: str = ""
    faults: tuple[Fault, ...] = field(default=())

    def __post_init__(self) -> None:
        if self.rtt_ms < 0:
            raise InvalidArgumentError("Profile rtt_ms must be >= 0")
        if not self.down_kbps > 0:
            raise InvalidArgumentError("Profile down_kbps must be > 0")
        if self.jitter_ms < 0:
            raise InvalidArgumentError("Profile jitter_ms must be >= 0")
        if int(self.max_connections) < 1:
            raise InvalidArgumentError("Profile max_connections must be >= 1")
        object.__setattr__(self, "faults", tuple(self.faults))

    @classmethod
    def from_name(cls, name: str) -> "Profile":
        """The preset called ``name`` (a key of :data:`PROFILES`)."""
        try:
            return PROFILES[name]
        except KeyError:
            raise InvalidArgumentError(f"unknown network profile {name!r}; choose one of "
                             f"{', '.join(sorted(PROFILES))}") from None

    @property
    def bytes_per_s(self) -> float:
        """Download bandwidth in bytes per second."""
        return self.down_kbps * 1000.0 / 8.0

    def with_(self, **changes) -> "Profile":
        """A copy with some fields changed (e.g. ``PROFILES["4g"].with_(seed=3)``)."""
        return replace(self, **changes)

    def rtt_samples(self, n: int) -> list[float]:
        """The first ``n`` round-trip delays (seconds) a server with this profile draws."""
        source = JitterSource(self)
        return [source.next() for _ in range(n)]

    def mean_rtt_s(self) -> float:
        """Mean round-trip delay in seconds: rtt, or E[max(0, rtt + U(-j, j))] if j > rtt."""
        r, j = self.rtt_ms, self.jitter_ms
        if j <= r:
            return r / 1000.0
        # U uniform on [-j, j], clamped at zero: integral of (r + u) over u in [-r, j] / 2j
        return ((r + j) ** 2 / (4.0 * j)) / 1000.0


class JitterSource:
    """Seeded round-trip delays: ``rtt + U(-jitter, +jitter)`` in seconds, never negative."""

    def __init__(self, profile: Profile) -> None:
        self._rtt = profile.rtt_ms
        self._jitter = profile.jitter_ms
        self._rng = random.Random(profile.seed)

    def next(self) -> float:
        ms = self._rtt
        if self._jitter > 0:
            ms += self._rng.uniform(-self._jitter, self._jitter)
        return max(0.0, ms) / 1000.0


def _p(name: str, rtt_ms: float, down_kbps: float, description: str, source: str,
       **kw) -> Profile:
    return Profile(rtt_ms=rtt_ms, down_kbps=down_kbps, name=name, description=description,
                   source=source, **kw)


PROFILES: dict[str, Profile] = {
    p.name: p for p in [
        _p("slow-3g", 2000.0, 400.0,
           "Chrome DevTools 'Slow 3G': target 400 ms RTT x 5 (DevTools' latency adjustment "
           "factor) = 2000 ms, target 500 kbit/s x 0.8 (throughput factor) = 400 kbit/s.",
           "Chrome DevTools network throttling presets (front_end/core/sdk/NetworkManager.ts)"),
        _p("fast-3g", 562.5, 1440.0,
           "Chrome DevTools 'Fast 3G' (renamed 'Slow 4G' in 2024): target 150 ms RTT x 3.75 "
           "= 562.5 ms, target 1.6 Mbit/s x 0.9 = 1440 kbit/s (the same adjustment factors "
           "Lighthouse's DEVTOOLS_RTT/THROUGHPUT_ADJUSTMENT_FACTOR use).",
           "Chrome DevTools network throttling presets (front_end/core/sdk/NetworkManager.ts)"),
        _p("lighthouse-mobile", 150.0, 1677.7216,
           "Lighthouse's simulated mobile throttling ('Slow 4G', formerly 'Fast 3G'): "
           "150 ms RTT, throughputKbps 1.6 x 1024 = 1638.4 binary kbit/s, which is "
           "1677.7 kbit/s of 1000 bits; identical to WebPageTest's '3GFast'.",
           "Lighthouse core/config/constants.js throttling.mobileSlow4G "
           "(rttMs 150, throughputKbps 1638.4)"),
        _p("3g", 300.0, 1600.0,
           "WebPageTest '3G': 1.6 Mbit/s down, 768 kbit/s up, 300 ms RTT.",
           "WebPageTest connectivity profiles (www/settings/connectivity.ini.sample)"),
        _p("4g", 170.0, 9000.0,
           "WebPageTest '4G': 9 Mbit/s down and up, 170 ms RTT.",
           "WebPageTest connectivity profiles (www/settings/connectivity.ini.sample)"),
        _p("lte", 70.0, 12000.0,
           "WebPageTest 'LTE': 12 Mbit/s down and up, 70 ms RTT.",
           "WebPageTest connectivity profiles (www/settings/connectivity.ini.sample)"),
        _p("wifi", 28.0, 5000.0,
           "WebPageTest 'Cable' (home broadband behind Wi-Fi): 5 Mbit/s down, 1 Mbit/s up, "
           "28 ms RTT.",
           "WebPageTest connectivity profiles (www/settings/connectivity.ini.sample)"),
        _p("distant", 350.0, 1000.0,
           "A user in mainland China loading a model hosted abroad (e.g. a US CDN or "
           "storage.googleapis.com): trans-Pacific round trips of 300-400 ms once the "
           "border gateway's detour and loss are counted, and about 1 Mbit/s of usable "
           "international throughput per user at busy hours, with 50 ms of jitter.",
           "Round trips: Shanghai-US West Coast fibre is ~130-180 ms in theory, measured "
           "China-to-US RTTs through the border gateway are typically 200-400 ms; the "
           "throughput is a conservative figure for congested international links.",
           jitter_ms=50.0),
    ]
}


__all__ = ["Profile", "PROFILES", "JitterSource"]
