"""The image family's executors (TF.js executors/image_executor), on :mod:`...ops.resize`."""

from __future__ import annotations

import numpy as np

from ...ops.resize import crop_and_resize, projective_transform, resize_bilinear, resize_nearest
from ..registry import ExecutionContext, Executor, Params


def _batched(images: np.ndarray, op: str) -> tuple[np.ndarray, bool]:
    x = np.asarray(images)
    if x.dtype == np.bool_ or x.dtype == object:
        raise TypeError(f"{op} needs numeric images, not {x.dtype}")
    if x.ndim == 3:
        return x[None], True
    if x.ndim != 4:
        raise ValueError(f"{op} needs images of rank 3 or 4, not shape {x.shape}")
    return x, False


def _resize(p: Params, fn, op: str) -> np.ndarray:
    x, added = _batched(p.images, op)
    y = fn(x, p.size, bool(p.align_corners), bool(p.half_pixel_centers))
    return y[0] if added else y


def resize_bilinear_op(p: Params, ctx: ExecutionContext) -> np.ndarray:
    return _resize(p, resize_bilinear, "ResizeBilinear")


def resize_nearest_op(p: Params, ctx: ExecutionContext) -> np.ndarray:
    return _resize(p, resize_nearest, "ResizeNearestNeighbor")


def crop_and_resize_op(p: Params, ctx: ExecutionContext) -> np.ndarray:
    return crop_and_resize(np.asarray(p.image), np.asarray(p.boxes), np.asarray(p.box_ind), p.crop_size,
                           str(p.method).lower(), float(p.extrapolation_value))


def transform_op(p: Params, ctx: ExecutionContext) -> np.ndarray:
    images = np.asarray(p.images)
    return projective_transform(images, np.asarray(p.transforms), p.output_shape or None,
                                str(p.interpolation).lower(), str(p.fill_mode).lower(), float(p.fill_value))


EXECUTORS: dict[str, Executor] = {
    "ResizeBilinear": resize_bilinear_op,
    "ResizeNearestNeighbor": resize_nearest_op,
    "CropAndResize": crop_and_resize_op,
    "ImageProjectiveTransformV3": transform_op,
}
