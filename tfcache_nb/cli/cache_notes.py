"""Why a load was not warm, in words: the CLI calls a load "warm" only when it came from the cache."""

from __future__ import annotations

from .._units import human_bytes
from ..cache.report import LoadReport


def not_saved_reason(report: LoadReport) -> str | None:
    """Why a network load left nothing in the cache (None when it was saved or came from it)."""
    if report.source == "cache" or report.saved:
        return None
    if report.bytes_needed is not None:
        free = human_bytes(report.bytes_free) if report.bytes_free is not None else "nothing"
        evicting = " even after evicting other models" if "evicting" in (report.save_error or "") else ""
        return f"not cached, too big: it needs {human_bytes(report.bytes_needed)} of storage, {free} is free{evicting}"
    return f"not cached: {report.save_error or 'no cache was given'}"


def why_not_warm(first: LoadReport, again: LoadReport | None) -> str | None:
    """Why the load after ``first`` is not a warm one (None when ``again`` came from the cache)."""
    reason = not_saved_reason(first)
    if reason is not None:
        return reason
    if again is None or again.source == "cache":
        return None
    if again.cache_miss_reason == "not in the cache":
        return "saved, then evicted or removed from the cache before the second load"
    return f"the cached copy was not used: {again.cache_miss_reason or again.cache_error or 'no reason given'}"


__all__ = ["not_saved_reason", "why_not_warm"]
