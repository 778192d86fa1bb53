"""The errors the toolkit raises on purpose.

Every one subclasses :class:`TfcacheError`, so ``except tc.TfcacheError`` catches all of
them and nothing else. Messages are one sentence a user understands.
"""

from __future__ import annotations


class TfcacheError(Exception):
    """Base of every error raised on purpose by tfcache_nb."""


class StorageError(TfcacheError):
    """A storage could not be read or written."""


class StorageQuotaError(StorageError):
    """A write would take the namespace past its size limit (``exceed storage max size``)."""


class StorageValueTooLargeError(StorageError):
    """One value is over the per-key limit (1 MB in WeChat)."""


class CacheIntegrityError(StorageError):
    """A cached model entry is damaged (missing chunk, wrong size, hash mismatch): never used."""


class ModelFormatError(TfcacheError):
    """A model.json, weights manifest or weight data is wrong or unsupported."""


class ModelExecutionError(TfcacheError):
    """A graph model failed while running: names the node, its op and its inputs' dtypes and shapes.

    ``node``, ``op``, ``inputs`` (text such as ``[float32 [1, 8, 8, 3]]``) and ``reason`` are
    also attributes.
    """

    def __init__(self, node: str, op: str, inputs: str, cause: BaseException | str):
        self.node, self.op, self.inputs = node, op, inputs
        self.reason = str(cause) or type(cause).__name__
        super().__init__(f"node {quoted(node)} ({op}) failed on inputs {inputs}: {self.reason}")

    def __reduce__(self):
        return (type(self), (self.node, self.op, self.inputs, self.reason))


class ModelLoadError(TfcacheError):
    """A model could not be fetched or found; the message names the URL and the cause."""

    def __init__(self, message: str, *, url: str | None = None, cause: str | None = None):
        super().__init__(message)
        self.url = url
        self.cause = cause


class InvalidArgumentError(TfcacheError, ValueError, TypeError):
    """A function was given an argument it cannot use (a wrong value or a wrong type).

    It is also a ``ValueError`` and a ``TypeError``, so code written for Python's usual
    errors keeps working, while ``except tc.TfcacheError`` catches it like every other.
    """


class ImageError(TfcacheError):
    """An image cannot be read, or is too large to decode safely."""


class BrowserClientError(TfcacheError):
    """The real-browser client (TensorFlow.js in headless Chromium) cannot run: Playwright,
    Chromium or the pinned TensorFlow.js build is missing, or the browser failed."""


def quoted(text: object, limit: int = 80) -> str:
    """A name from a model or a user, quoted for a one-line message: control characters
    escaped, very long names cut, so a hostile name cannot break or flood the message."""
    value = str(text)
    if len(value) > limit:
        value = value[: limit - 1] + "…"
    return "'" + "".join(c if c.isprintable() else repr(c)[1:-1] for c in value) + "'"


__all__ = [
    "TfcacheError",
    "StorageError",
    "StorageQuotaError",
    "StorageValueTooLargeError",
    "CacheIntegrityError",
    "ModelFormatError",
    "ModelExecutionError",
    "ModelLoadError",
    "ImageError",
    "InvalidArgumentError",
]
