"""Where a model's weight shards live, by TensorFlow.js's rule, refusing paths that escape.

TensorFlow.js (``tfjs-core/src/io/http.ts``) builds a shard's URL as the weight path prefix
(default: the model.json URL's folder) + the manifest's path + the model URL's query string.
A manifest is data from the server, so a path that would leave that folder (``..``, an
absolute URL, a root path) is refused unless the caller allows it: a hostile or broken
model.json must not make the client fetch from elsewhere.
"""

from __future__ import annotations

import re
import urllib.parse
from typing import Iterable

from ..errors import ModelLoadError

#: ``fromTFHub`` (tfjs-converter) asks TF Hub for the files themselves with this query.
TFHUB_QUERY = "?tfjs-format=file"
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")


def is_http_url(value: object) -> bool:
    """Whether ``value`` is a str starting with ``http://`` or ``https://`` (any case)."""
    return isinstance(value, str) and value.lower().startswith(("http://", "https://"))


def split_model_url(model_url: str) -> tuple[str, str]:
    """``(folder ending in '/', query string with its '?' or '')`` of a model.json URL.

    Like ``parseUrl`` of http.ts, except that a '/' inside the query does not count.
    """
    url = model_url.split("#", 1)[0]
    path, sep, query = url.partition("?")
    folder = path[: path.rfind("/") + 1] if "/" in path else ""
    return folder, (sep + query)


def tfhub_model_url(url: str) -> str:
    """The model.json URL ``fromTFHub`` fetches for a TF Hub model URL."""
    if "tfjs-format=file" in url:
        return url
    return (url if url.endswith("/") else url + "/") + "model.json" + TFHUB_QUERY


def shard_urls(model_url: str, paths: Iterable[str], *, weight_path_prefix: str | None = None,
               allow_external: bool = False) -> list[str]:
    """The URL of each shard path, in order; raise :class:`ModelLoadError` for an escaping path."""
    folder, query = split_model_url(model_url)
    prefix = weight_path_prefix or folder
    urls = []
    for path in paths:
        problem = _escape_problem(path)
        if problem is None:
            urls.append(prefix + path + query)
            continue
        if not allow_external:
            raise ModelLoadError(
                f"The weight path {path!r} in the model at {model_url} {problem}, "
                f"so it is not fetched (pass allow_external_weights=True to allow it).",
                url=model_url, cause=f"weight path {path!r} {problem}",
            )
        # Allowed: resolve it as a browser resolves a link, then keep TF.js's query rule
        # for paths that stay relative.
        resolved = urllib.parse.urljoin(prefix, path.replace("\\", "/"))
        urls.append(resolved if _SCHEME.match(path) or path.startswith(("//", "\\\\")) else resolved + query)
    return urls


def _escape_problem(path: str) -> str | None:
    """Why ``path`` would leave the model's folder, or None if it stays inside."""
    if _SCHEME.match(path):
        return "is an absolute URL"
    if path.startswith(("//", "\\\\", "/\\", "\\/")):
        return "points to another host"
    if path.startswith(("/", "\\")):
        return "starts at the server's root"
    depth = 0
    # Browsers treat '\' as '/' in http URLs and '%2e' as '.', so check what they would fetch.
    for raw in re.split(r"[/\\]", path.split("?", 1)[0].split("#", 1)[0]):
        segment = urllib.parse.unquote(raw)
        if "/" in segment or "\\" in segment:
            return "hides a '/' in percent-encoding"
        if segment == "..":
            depth -= 1
            if depth < 0:
                return "leaves the model's folder"
        elif segment not in ("", "."):
            depth += 1
    return None


__all__ = ["is_http_url", "shard_urls", "split_model_url", "tfhub_model_url", "TFHUB_QUERY"]
