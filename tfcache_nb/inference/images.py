"""Read images for classification: paths, bytes, file objects, PIL images or arrays -> RGB.

Choices, documented because they change the numbers:
- RGBA / LA / transparent palette images are composited on **white** (what a browser shows
  when a transparent PNG is drawn on a white page), not on black.
- Float arrays: values in [0, 1] are taken as fractions and scaled by 255; anything with a
  maximum above 1 is taken as already in [0, 255]. NaN or infinite values are an error.
- Resizing uses Pillow's bilinear filter. When it shrinks, Pillow averages over the whole
  footprint (it antialiases), unlike TensorFlow's ``resizeBilinear``, which samples 4 pixels;
  so predictions on a resized photo differ slightly from TensorFlow.js's.
- EXIF orientation is applied, as browsers do when they draw a photo.
- Images over :data:`MAX_PIXELS` pixels are refused before their pixels are decoded.
"""

from __future__ import annotations

import io
import os
import re
import warnings
from typing import Any

import numpy as np

from ..errors import ImageError

#: the largest image (width x height) that is decoded
MAX_PIXELS = 50_000_000


def _open(source: Any):
    from PIL import Image

    if isinstance(source, Image.Image):
        return source
    if isinstance(source, (bytes, bytearray, memoryview)):
        if len(source) == 0:
            raise ImageError("the image data is empty (0 bytes).")
        handle: Any = io.BytesIO(bytes(source))
        what = "the image data"
    elif isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        if os.path.isdir(path):
            raise ImageError(f"'{path}' is a folder, not an image.")
        if not os.path.isfile(path):
            raise ImageError(f"the image file '{path}' does not exist.")
        if os.path.getsize(path) == 0:
            raise ImageError(f"the image file '{path}' is empty (0 bytes).")
        handle, what = path, f"the image file '{path}'"
    elif hasattr(source, "read"):
        handle, what = source, "the image stream"
    else:
        raise ImageError(f"cannot read an image from a {type(source).__name__}; "
                         "give a path, bytes, a file object, a PIL image or a numpy array.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(handle)  # reads the header only
            w, h = img.size
            if w * h > MAX_PIXELS:
                raise ImageError(f"{what} is {w}x{h} pixels, over the limit of {MAX_PIXELS:,} pixels.")
            if w == 0 or h == 0:
                raise ImageError(f"{what} has no pixels ({w}x{h}).")
            img.load()
    except ImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageError(f"{what} is too large to decode safely (over {MAX_PIXELS:,} pixels).") from None
    except (OSError, SyntaxError, ValueError, Image.UnidentifiedImageError, EOFError) as exc:
        raise ImageError(f"{what} cannot be decoded ({_short(exc)}).") from None
    return img


def _short(exc: Exception) -> str:
    """Pillow's reason, without the ``<_io.BytesIO object at 0x...>`` it names the data by."""
    text = _OBJECT_REPR.sub("", str(exc)).strip().rstrip(".") or type(exc).__name__
    return text[:120]


_OBJECT_REPR = re.compile(r"\s*<[\w.]+ object at 0x[0-9a-fA-F]+>")


def _array_to_rgb(arr: np.ndarray) -> np.ndarray:
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    if arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[2] not in (3, 4)):
        raise ImageError(f"an image array must be HxW, HxWx1, HxWx3 or HxWx4, not shape {list(arr.shape)}.")
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ImageError(f"the image array has no pixels (shape {list(arr.shape)}).")
    if arr.dtype == np.uint8:
        data = arr.astype(np.float32)
    elif arr.dtype.kind in "fiu" and arr.dtype != np.bool_:
        if arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
            raise ImageError("the image array holds NaN or infinite values.")
        # values past float32's range are out of any pixel range: clip before the cast
        data = np.clip(arr, -1e30, 1e30).astype(np.float32) if arr.dtype.kind == "f" else arr.astype(np.float32)
        if arr.dtype.kind == "f" and data.size and data.max() <= 1.0:
            data = data * 255.0
        data = np.clip(data, 0, 255)
    else:
        raise ImageError(f"an image array must be numeric, not {arr.dtype}.")
    if data.ndim == 2:
        data = np.repeat(data[:, :, None], 3, axis=2)
    elif data.shape[2] == 4:
        alpha = data[:, :, 3:4] / 255.0
        data = data[:, :, :3] * alpha + 255.0 * (1 - alpha)
    return np.rint(data).astype(np.uint8) if arr.dtype != np.uint8 else data.astype(np.uint8)


def _to_rgb(img):
    from PIL import Image, ImageOps

    try:
        img = ImageOps.exif_transpose(img)
    except Exception:  # a broken EXIF block should not stop classification
        pass
    mode = img.mode
    if mode == "P":
        img = img.convert("RGBA") if "transparency" in img.info else img.convert("RGB")
        mode = img.mode
    if mode in ("I;16", "I;16B", "I;16L", "I"):
        arr = np.asarray(img, dtype=np.float64)
        top = 65535.0 if mode.startswith("I;16") or arr.max() > 255 else 255.0
        arr = np.clip(arr / top * 255.0, 0, 255)
        return Image.fromarray(np.rint(arr).astype(np.uint8), "L").convert("RGB")
    if mode in ("RGBA", "LA", "PA") or (mode in ("RGB", "L") and "transparency" in img.info):
        rgba = img.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    if mode != "RGB":
        return img.convert("RGB")  # L, 1, CMYK, YCbCr, F, ...
    return img


def load_image(source: Any, size: tuple[int, int] | None = None) -> np.ndarray:
    """An HxWx3 uint8 RGB array, resized bilinearly to ``size`` (height, width) if given."""
    from PIL import Image

    if isinstance(source, np.ndarray):
        rgb = _array_to_rgb(source)
        if size is None or rgb.shape[:2] == tuple(size):
            return rgb
        img = Image.fromarray(rgb, "RGB")
    else:
        img = _to_rgb(_open(source))
    if size is not None and (img.size[1], img.size[0]) != tuple(size):
        img = img.resize((int(size[1]), int(size[0])), Image.BILINEAR)
    return np.asarray(img, dtype=np.uint8).copy()
