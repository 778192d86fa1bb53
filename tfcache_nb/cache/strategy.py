"""When a load asks the network and when it trusts the cache: the field's cache strategies.

Named as WebDNN's ``cacheStrategy`` names them (and as service-worker toolkits do):

- ``cacheFirst``: a valid cached copy is used as it is, never revalidated; the network only on
  a miss. The WeChat plugin's behaviour, and the default: once cached, a model is stale forever.
- ``latest``: every launch asks the server whether model.json changed (a conditional request:
  a 304 costs one round trip); a changed model is fetched and replaces the cached one. With
  ``max_age=T`` (seconds) it asks at most every ``T`` seconds and trusts the copy in between.
- ``networkFirst``: always downloads the model and saves it; the cached copy is used only when
  the network fails.
- ``networkOnly``: always downloads, never reads or writes the cache.
- ``cacheOnly``: only the cache; a model not in it is a :class:`ModelLoadError`.

Versioned cache keys (``version=``) combine with any strategy that uses the cache: the model is
stored under ``<cache_key>@<version>`` and a save evicts the other versions of the same key,
so a new version is always a miss and an old one never lingers.

``revalidate=True`` is kept as an alias of ``strategy="latest"``.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from ..errors import InvalidArgumentError

STRATEGIES = ("cacheFirst", "latest", "networkFirst", "networkOnly", "cacheOnly")
#: strategies that read the cache before (or instead of) the network
READS_CACHE_FIRST = ("cacheFirst", "latest", "cacheOnly")
VERSION_SEP = "@"
_VERSION = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


@dataclasses.dataclass(frozen=True)
class Strategy:
    """A cache strategy by name, with ``max_age`` (seconds, ``latest`` only) and ``versioned``.

    ``versioned`` is for experiments: the app keeps each model version under its own cache key
    (``load_artifacts(..., version=...)``) and learns of a new version with its own code.
    """

    name: str = "cacheFirst"
    max_age: float | None = None
    versioned: bool = False

    def __post_init__(self) -> None:
        if self.name not in STRATEGIES:
            raise InvalidArgumentError(f"unknown cache strategy {self.name!r}; choose one of "
                                       + ", ".join(STRATEGIES) + ".")
        if self.max_age is not None:
            if isinstance(self.max_age, bool) or not isinstance(self.max_age, (int, float)) \
                    or not self.max_age >= 0:
                raise InvalidArgumentError(f"max_age must be a number of seconds >= 0, not {self.max_age!r}.")
            if self.name != "latest":
                raise InvalidArgumentError(f"max_age only applies to strategy 'latest' (revalidate at most "
                                           f"every max_age seconds), not to {self.name!r}.")
        if self.versioned and self.name == "networkOnly":
            raise InvalidArgumentError("versioned cache keys need a strategy that uses the cache, "
                                       "not 'networkOnly'.")

    @property
    def label(self) -> str:
        """A short name for tables and legends, e.g. ``latest (max_age 24 h)``."""
        text = self.name
        if self.max_age is not None:
            text += f" (max_age {_human_age(self.max_age)})"
        return f"versioned {text}" if self.versioned else text


def as_strategy(value: Any) -> Strategy:
    """A :class:`Strategy` from itself or a name (``"versioned"`` = versioned ``cacheFirst``)."""
    if isinstance(value, Strategy):
        return value
    if value == "versioned":
        return Strategy("cacheFirst", versioned=True)
    if isinstance(value, str):
        return Strategy(value)
    raise InvalidArgumentError(f"a cache strategy is a name ({', '.join(STRATEGIES)}, or 'versioned') "
                               f"or a tfcache_nb.Strategy, not {type(value).__name__}.")


def resolve(strategy: Any, revalidate: bool, max_age: float | None) -> Strategy:
    """The strategy one load follows, with ``revalidate=True`` as an alias of ``"latest"``.

    ``max_age`` alone means ``latest``; contradictory arguments are one clear error.
    """
    if not isinstance(revalidate, bool):
        raise InvalidArgumentError(f"revalidate must be True or False, not {revalidate!r}.")
    if strategy is None:
        name = "latest" if revalidate or max_age is not None else "cacheFirst"
        return Strategy(name, max_age=max_age)
    chosen = as_strategy(strategy)
    if revalidate and chosen.name != "latest":
        raise InvalidArgumentError(f"revalidate=True is the strategy 'latest'; it contradicts strategy="
                                   f"{chosen.name!r}: pass one of them.")
    if max_age is not None:
        if chosen.max_age is not None and chosen.max_age != max_age:
            raise InvalidArgumentError("max_age is given twice, with different values.")
        chosen = dataclasses.replace(chosen, max_age=max_age)
    return chosen


def check_version(version: Any) -> str | None:
    if version is None:
        return None
    if isinstance(version, int) and not isinstance(version, bool):
        version = str(version)
    if not isinstance(version, str) or not _VERSION.match(version):
        raise InvalidArgumentError(f"version must be 1-64 letters, digits, '.', '_' or '-', not {version!r}.")
    return version


def versioned_key(key: str, version: str | None) -> str:
    """``<key>@<version>``: the cache key of one version of a model."""
    return key if version is None else f"{key}{VERSION_SEP}{version}"


def is_other_version(stored_key: str, key: str, version: str) -> bool:
    """True for ``<key>@<other version>`` (and for the unversioned ``key`` itself)."""
    if stored_key == key:
        return True
    head = key + VERSION_SEP
    return stored_key.startswith(head) and stored_key != head + version \
        and _VERSION.match(stored_key[len(head):]) is not None


def _human_age(seconds: float) -> str:
    if seconds >= 3600 and seconds % 3600 == 0:
        return f"{seconds / 3600:g} h"
    if seconds >= 60 and seconds % 60 == 0:
        return f"{seconds / 60:g} min"
    return f"{seconds:g} s"


__all__ = ["Strategy", "STRATEGIES", "as_strategy", "resolve", "versioned_key", "check_version"]
