"""Where the command line gets a model from: a URL, a local folder served by ModelServer, or
the synthetic MobileNet when the internet cannot be reached."""

from __future__ import annotations

import argparse
import contextlib
import os
import tempfile
from pathlib import Path
from typing import Iterator

from ..errors import ModelLoadError

DEFAULT_MODEL_URL = "https://storage.googleapis.com/tfjs-models/tfjs/mobilenet_v1_0.25_224/model.json"
DEFAULT_MODEL_NAME = "mobilenet_v1_0.25_224"


def add_source_options(p: argparse.ArgumentParser) -> None:
    group = p.add_mutually_exclusive_group()
    group.add_argument("--model-url", help=f"model.json URL (default: Google's {DEFAULT_MODEL_NAME})")
    group.add_argument("--model-dir", help="a local model folder, served on 127.0.0.1 "
                                           "(default: $TFCACHE_NB_MODEL_DIR when set)")


def resolve_model_dir(path: str | os.PathLike[str]) -> Path:
    """A model folder: the folder itself, or its ``mobilenet_v1_0.25_224`` child (the shared models folder)."""
    folder = Path(path).expanduser()
    if folder.suffix == ".json":
        folder = folder.parent
    if (folder / "model.json").is_file():
        return folder
    if (folder / DEFAULT_MODEL_NAME / "model.json").is_file():
        return folder / DEFAULT_MODEL_NAME
    raise ModelLoadError(f"there is no model.json in {folder}.", url=str(folder), cause="not found")


def internet_reachable(url: str, timeout: float = 4.0) -> bool:
    """Whether the model URL answers at all (one small request)."""
    import requests

    try:
        requests.head(url, timeout=timeout, allow_redirects=True)
        return True
    except requests.RequestException:
        return False


@contextlib.contextmanager
def model_source(args: argparse.Namespace, *, profile: str | None = None,
                 say=print) -> Iterator[tuple[str, str]]:
    """Yield ``(url, description)`` for the model the user asked for, serving folders locally."""
    from ..netsim.server import ModelServer

    model_dir = args.model_dir or (None if args.model_url else os.environ.get("TFCACHE_NB_MODEL_DIR"))
    if model_dir:
        folder = resolve_model_dir(model_dir)
        with ModelServer(folder, profile=profile) as server:
            yield server.url + "/model.json", f"{folder.name} from {folder}, served on {server.url}"
        return
    url = args.model_url or DEFAULT_MODEL_URL
    if args.model_url or internet_reachable(url):
        yield url, url
        return
    say(f"The network cannot reach {url}: using the synthetic MobileNet served locally instead "
        "(random weights: its predictions mean nothing).")
    from ..format.synthetic import write_synthetic_mobilenet

    with tempfile.TemporaryDirectory(prefix="tfcache_nb_synthetic_") as tmp:
        folder = write_synthetic_mobilenet(Path(tmp) / "synthetic_mobilenet_v1_0.25_224", alpha=0.25)
        with ModelServer(folder, profile=profile) as server:
            yield server.url + "/model.json", "synthetic MobileNet v1 0.25 (random weights), served locally"
