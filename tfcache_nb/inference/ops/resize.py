"""Image resampling as TensorFlow.js's CPU kernels compute it (NHWC).

Source coordinates follow TF.js exactly: ``align_corners`` scales by (in-1)/(out-1),
``half_pixel_centers`` samples at (i + 0.5) * scale - 0.5 for bilinear but at (i + 0.5) * scale
(no -0.5, then floor) for nearest neighbour, and ``align_corners`` rounds half up for nearest
neighbour. Coordinates are computed in float64 as the JavaScript kernels do; bilinear
interpolation runs in float32 (within one rounding of TF.js's double arithmetic), CropAndResize
and the projective transform in float64.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

F32 = np.float32
F64 = np.float64


def _scale(in_size: int, out_size: int, align_corners: bool) -> float:
    if align_corners and out_size > 1:
        return (in_size - 1) / (out_size - 1)
    return in_size / out_size if out_size else 0.0


def _check(x: np.ndarray, size: Sequence[int], align_corners: bool, half_pixel_centers: bool, op: str
           ) -> tuple[int, int]:
    if x.ndim != 4:
        raise ValueError(f"{op} needs images of rank 3 or 4, not shape {x.shape}")
    if len(size) != 2:
        raise ValueError(f"{op} needs a size of 2 values (height, width), not {list(size)}")
    if align_corners and half_pixel_centers:
        raise ValueError(f"{op}: half_pixel_centers and align_corners cannot both be true")
    oh, ow = int(size[0]), int(size[1])
    if oh < 0 or ow < 0:
        raise ValueError(f"{op}: the size must not be negative, not {oh}x{ow}")
    if (x.shape[1] == 0 or x.shape[2] == 0) and oh * ow:
        raise ValueError(f"{op}: cannot resize an empty {x.shape[1]}x{x.shape[2]} image to {oh}x{ow}")
    return oh, ow


def _bilinear_axis(in_size: int, out_size: int, align_corners: bool, half_pixel_centers: bool
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(low index, high index, fraction) of each output position along one axis."""
    scale = _scale(in_size, out_size, align_corners)
    i = np.arange(out_size, dtype=F64)
    src = scale * (i + 0.5) - 0.5 if half_pixel_centers else scale * i
    low = np.maximum(0, np.floor(src))
    high = np.minimum(in_size - 1, np.ceil(src))
    return low.astype(np.intp), high.astype(np.intp), src - low


def resize_bilinear(x: np.ndarray, size: Sequence[int], align_corners: bool = False,
                    half_pixel_centers: bool = False) -> np.ndarray:
    """TF.js's ResizeBilinear of an (n, h, w, c) batch: always float32.

    Separable in TF.js's order: every input row is interpolated between its two source
    columns, then each output row between its two source rows (TF.js's ``top`` and ``bottom``
    are those column-interpolated rows). In float32, so within one rounding of TF.js's double
    arithmetic; 2 gathers and 2 multiply-adds per axis instead of 4 gathers per output pixel.
    """
    oh, ow = _check(x, size, align_corners, half_pixel_centers, "ResizeBilinear")
    n, h, w, c = x.shape
    if oh * ow == 0 or n * c == 0:
        return np.zeros((n, oh, ow, c), F32)
    r0, r1, fr = _bilinear_axis(h, oh, align_corners, half_pixel_centers)
    c0, c1, fc = _bilinear_axis(w, ow, align_corners, half_pixel_centers)
    xf = x.astype(F32, copy=False)
    rows = np.take(xf, c0, axis=2)  # (n, h, ow, c): each input row at the output columns
    step = np.take(xf, c1, axis=2)
    step -= rows
    step *= fc.astype(F32)[:, None]
    rows += step
    top = np.take(rows, r0, axis=1)
    bottom = np.take(rows, r1, axis=1)
    bottom -= top
    bottom *= fr.astype(F32)[:, None, None]
    top += bottom
    return top


def _js_round(v: np.ndarray) -> np.ndarray:
    """JavaScript's Math.round: halves go up (numpy's rint goes to even)."""
    return np.floor(v + 0.5)


def _nearest_axis(in_size: int, out_size: int, align_corners: bool, half_pixel_centers: bool) -> np.ndarray:
    scale = _scale(in_size, out_size, align_corners)
    i = np.arange(out_size, dtype=F64)
    src = scale * (i + 0.5) if half_pixel_centers else scale * i
    idx = np.minimum(in_size - 1, _js_round(src) if align_corners else np.floor(src))
    if half_pixel_centers:
        idx = np.maximum(0, idx)
    return idx.astype(np.intp)


def resize_nearest(x: np.ndarray, size: Sequence[int], align_corners: bool = False,
                   half_pixel_centers: bool = False) -> np.ndarray:
    """TF.js's ResizeNearestNeighbor of an (n, h, w, c) batch, in the input's dtype."""
    oh, ow = _check(x, size, align_corners, half_pixel_centers, "ResizeNearestNeighbor")
    n, h, w, c = x.shape
    if oh * ow == 0 or n * c == 0:
        return np.zeros((n, oh, ow, c), x.dtype)
    rows = _nearest_axis(h, oh, align_corners, half_pixel_centers)
    cols = _nearest_axis(w, ow, align_corners, half_pixel_centers)
    return np.take(np.take(x, rows, axis=1), cols, axis=2)


def _crop_axis(start: np.ndarray, end: np.ndarray, in_size: int, out_size: int) -> np.ndarray:
    """(boxes, out_size) source coordinates of a crop along one axis, float64."""
    if out_size > 1:
        scale = (end - start) * (in_size - 1) / (out_size - 1)
        return start[:, None] * (in_size - 1) + np.arange(out_size)[None, :] * scale[:, None]
    return np.repeat((0.5 * (start + end) * (in_size - 1))[:, None], out_size, axis=1)


def crop_and_resize(image: np.ndarray, boxes: np.ndarray, box_ind: np.ndarray, crop_size: Sequence[int],
                    method: str = "bilinear", extrapolation_value: float = 0.0) -> np.ndarray:
    """TF.js's CropAndResize: (boxes, crop_h, crop_w, c) float32 crops of an (n, h, w, c) batch.

    Boxes are (y1, x1, y2, x2) in normalised coordinates; a sample outside the image gets
    ``extrapolation_value``; a box whose image index is past the batch stays zero (as TF.js).
    """
    if image.ndim != 4:
        raise ValueError(f"CropAndResize needs an image of rank 4, not shape {image.shape}")
    if boxes.ndim != 2 or boxes.shape[1] != 4:
        raise ValueError(f"CropAndResize needs boxes of shape (n, 4), not {boxes.shape}")
    if box_ind.shape != (boxes.shape[0],):
        raise ValueError(f"CropAndResize needs one image index per box, not shape {box_ind.shape}")
    if len(crop_size) != 2 or min(crop_size) < 1:
        raise ValueError(f"CropAndResize needs a crop size of 2 positive values, not {list(crop_size)}")
    if method not in ("bilinear", "nearest"):
        raise ValueError(f"CropAndResize: method must be 'bilinear' or 'nearest', not {method!r}")
    n, h, w, c = image.shape
    ch, cw = int(crop_size[0]), int(crop_size[1])
    nb = boxes.shape[0]
    ind = np.asarray(box_ind).astype(np.int64)
    if (ind < 0).any():
        raise ValueError("CropAndResize: box indices must not be negative")
    b = boxes.astype(F32).astype(F64)
    ys = _crop_axis(b[:, 0], b[:, 2], h, ch)  # (nb, ch)
    xs = _crop_axis(b[:, 1], b[:, 3], w, cw)  # (nb, cw)
    out = np.zeros((nb, ch, cw, c), F32)
    valid = ind < n
    if not valid.any() or c == 0:
        return out
    inside = ((ys >= 0) & (ys <= h - 1))[:, :, None] & ((xs >= 0) & (xs <= w - 1))[:, None, :]
    img = image.astype(F64)[np.where(valid, ind, 0)]  # (nb, h, w, c)
    boxes_i = np.arange(nb)[:, None, None]
    ysc = np.clip(ys, 0, max(h - 1, 0))
    xsc = np.clip(xs, 0, max(w - 1, 0))
    if method == "bilinear":
        top, bot = np.floor(ysc).astype(np.intp), np.ceil(ysc).astype(np.intp)
        left, right = np.floor(xsc).astype(np.intp), np.ceil(xsc).astype(np.intp)
        fy = (ysc - top)[:, :, None, None]
        fx = (xsc - left)[:, None, :, None]
        tl = img[boxes_i, top[:, :, None], left[:, None, :]]
        tr = img[boxes_i, top[:, :, None], right[:, None, :]]
        bl = img[boxes_i, bot[:, :, None], left[:, None, :]]
        br = img[boxes_i, bot[:, :, None], right[:, None, :]]
        upper = tl + (tr - tl) * fx
        lower = bl + (br - bl) * fx
        values = upper + (lower - upper) * fy
    else:
        ry = _js_round(ysc).astype(np.intp)
        rx = _js_round(xsc).astype(np.intp)
        values = img[boxes_i, ry[:, :, None], rx[:, None, :]]
    result = np.where(inside[:, :, :, None], values, F64(np.float32(extrapolation_value)))
    out[valid] = result[valid]
    return out


def _map_coordinate(v: np.ndarray, size: int, mode: str) -> np.ndarray:
    """TF.js's fill-mode rule for sample coordinates that fall outside the image."""
    if mode == "nearest":
        return np.clip(v, 0, size - 1)
    if mode not in ("reflect", "wrap"):
        return v
    if size <= 1:
        return np.where((v < 0) | (v > size - 1), 0.0, v)
    out = v.copy()
    if mode == "reflect":
        sz2 = 2 * size
        neg = v < 0
        t = np.where(v < sz2, sz2 * np.trunc(-v / sz2) + v, v)
        out[neg] = np.where(t < -size, t + sz2, -t - 1)[neg]
        pos = v > size - 1
        t = v - sz2 * np.trunc(v / sz2)
        out[pos] = np.where(t >= size, sz2 - t - 1, t)[pos]
    else:
        sz = size - 1
        neg = v < 0
        out[neg] = (v + size * (np.trunc(-v / sz) + 1))[neg]
        pos = v > size - 1
        out[pos] = (v - size * np.trunc(v / sz))[pos]
    return np.clip(out, 0, size - 1)


def projective_transform(images: np.ndarray, transforms: np.ndarray, output_hw: Sequence[int] | None,
                         interpolation: str = "nearest", fill_mode: str = "constant",
                         fill_value: float = 0.0) -> np.ndarray:
    """TF.js's ImageProjectiveTransformV3 (tf.image.transform) of an (n, h, w, c) batch.

    Each transform (a0, a1, a2, b0, b1, b2, c0, c1) maps output (x, y) to input
    ((a0 x + a1 y + a2) / k, (b0 x + b1 y + b2) / k) with k = c0 x + c1 y + 1. Every image of
    the batch is transformed (TF.js 4.22 transforms only the first and fills the others).
    """
    if images.ndim != 4:
        raise ValueError(f"ImageProjectiveTransformV3 needs images of rank 4, not shape {images.shape}")
    n, h, w, c = images.shape
    t = np.asarray(transforms, F32).astype(F64)
    if t.ndim != 2 or t.shape[1] != 8 or t.shape[0] not in (1, n):
        raise ValueError(f"transforms must have shape (1, 8) or ({n}, 8), not {t.shape}")
    if interpolation not in ("nearest", "bilinear"):
        raise ValueError(f"interpolation must be 'nearest' or 'bilinear', not {interpolation!r}")
    if fill_mode not in ("constant", "reflect", "wrap", "nearest"):
        raise ValueError(f"fill_mode must be constant, reflect, wrap or nearest, not {fill_mode!r}")
    oh, ow = (h, w) if not output_hw else (int(output_hw[0]), int(output_hw[1]))
    out = np.full((n, oh, ow, c), fill_value, dtype=images.dtype)
    if oh * ow * c == 0:
        return out
    oy, ox = np.meshgrid(np.arange(oh, dtype=F64), np.arange(ow, dtype=F64), indexing="ij")
    fill = F64(fill_value)
    for b in range(n):
        a = t[0] if t.shape[0] == 1 else t[b]
        k = a[6] * ox + a[7] * oy + 1
        defined = k != 0
        ks = np.where(defined, k, 1.0)
        xin = _map_coordinate((a[0] * ox + a[1] * oy + a[2]) / ks, w, fill_mode)
        yin = _map_coordinate((a[3] * ox + a[4] * oy + a[5]) / ks, h, fill_mode)
        img = images[b].astype(F64)

        def read(yy: np.ndarray, xx: np.ndarray) -> np.ndarray:
            ok = (yy >= 0) & (yy < h) & (xx >= 0) & (xx < w)
            vals = img[np.clip(yy, 0, h - 1).astype(np.intp), np.clip(xx, 0, w - 1).astype(np.intp)]
            return np.where(ok[:, :, None], vals, fill)

        if interpolation == "nearest":
            val = read(_js_round(yin), _js_round(xin))
        else:
            y0, x0 = np.floor(yin), np.floor(xin)
            y1, x1 = y0 + 1, x0 + 1
            wx0, wx1 = (x1 - xin)[:, :, None], (xin - x0)[:, :, None]
            top = wx0 * read(y0, x0) + wx1 * read(y0, x1)
            bottom = wx0 * read(y1, x0) + wx1 * read(y1, x1)
            val = (y1 - yin)[:, :, None] * top + (yin - y0)[:, :, None] * bottom
        out[b] = np.where(defined[:, :, None], val, fill).astype(images.dtype)
    return out
