"""The command line's model options (``--model-url`` / ``--model-dir``). What they, or their
absence, resolve to is decided by :func:`tfcache_nb.experiments.sources.find_model`, the one
rule the notebooks, the dashboard and the runner follow too."""

from __future__ import annotations

import argparse
from typing import Callable

from ..experiments.sources import DEFAULT_MODEL_NAME, MODEL_DIR_ENV, ModelSource, find_model

RULE = (f"default: ${MODEL_DIR_ENV}, else ../shared/models beside the checkout, else the "
        f"{DEFAULT_MODEL_NAME} shipped inside tfcache_nb")


def add_source_options(p: argparse.ArgumentParser) -> None:
    group = p.add_mutually_exclusive_group()
    group.add_argument("--model-url", help=f"a model.json URL, loaded over the real network ({RULE})")
    group.add_argument("--model-dir", help=f"a local model folder (or a folder with a {DEFAULT_MODEL_NAME} "
                                           f"child), served on 127.0.0.1 ({RULE})")


def source_from_args(args: argparse.Namespace, say: Callable[[str], object] = print) -> ModelSource:
    """The source ``--model-url`` / ``--model-dir`` name, else the rule's default model."""
    return find_model(DEFAULT_MODEL_NAME, model_dir=args.model_dir, model_url=args.model_url, say=say)


__all__ = ["add_source_options", "source_from_args", "RULE"]
