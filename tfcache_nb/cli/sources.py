"""The command line's model options (``--model-url`` / ``--model-dir``); what they resolve to
is decided by :mod:`tfcache_nb.experiments.sources`, shared with the dashboard and the runner."""

from __future__ import annotations

import argparse

from ..experiments import sources as _sources
from ..experiments.sources import DEFAULT_MODEL_NAME, ModelSource


def add_source_options(p: argparse.ArgumentParser) -> None:
    group = p.add_mutually_exclusive_group()
    group.add_argument("--model-url", help=f"model.json URL (default: Google's {DEFAULT_MODEL_NAME}; "
                                           "the synthetic MobileNet when the internet cannot be reached)")
    group.add_argument("--model-dir", help="a local model folder (or a folder with a "
                                           f"{DEFAULT_MODEL_NAME} child), served on 127.0.0.1 "
                                           "(default: $TFCACHE_NB_MODEL_DIR when set)")


def source_from_args(args: argparse.Namespace, say=print) -> ModelSource:
    """The source ``--model-url`` / ``--model-dir`` name (see :func:`choose_source`)."""
    return _sources.choose_source(args.model_url, args.model_dir, say=say)


__all__ = ["add_source_options", "source_from_args"]
