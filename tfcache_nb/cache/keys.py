"""Stable cache keys derived from where a model comes from."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def source_id(source: Any) -> str:
    """A canonical text for a model's source: a normalised URL, an absolute path, or a handler's."""
    if isinstance(source, (str, os.PathLike)):
        text = os.fspath(source)
        if "://" in text:
            parts = urlsplit(text)
            return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path, parts.query, ""))
        path = Path(text).expanduser().resolve()
        return str(path / "model.json") if path.suffix != ".json" else str(path)
    for attr in ("url", "model_url"):
        value = getattr(source, attr, None)
        if isinstance(value, str):
            return source_id(value)
    key = getattr(source, "key", None)
    return f"{type(source).__name__}:{key if key is not None else repr(source)}"


def default_cache_key(source: Any) -> str:
    """``<model folder name>-<8 hex of the source>``: readable, and stable across runs.

    Derived from the source only, not from the options, so a quantized copy replaces a
    float one under the same key.
    """
    ident = source_id(source)
    path = urlsplit(ident).path if "://" in ident else ident
    stem = [p for p in re.split(r"[/\\]", path) if p and p != "model.json"]
    name = _UNSAFE.sub("_", stem[-1])[:48].strip("_") if stem else "model"
    digest = hashlib.sha256(ident.encode("utf-8")).hexdigest()[:8]
    return f"{name or 'model'}-{digest}"
