"""Image-family ops: hand-computed cases for TF.js's coordinate rules, and scalar loops transcribing its kernels."""

import itertools
import math

import numpy as np
import pytest

from graph_helpers import run_op

RNG = np.random.default_rng(3)
F32 = np.float32
IMG = np.array([[0, 1], [2, 3]], F32).reshape(1, 2, 2, 1)


def resize(op, x, size, align=False, half=False):
    return run_op(op, [x, np.array(size, np.int32)], align_corners=align, half_pixel_centers=half)


def test_bilinear_hand_cases():
    half = resize("ResizeBilinear", IMG, (4, 4), half=True)[0, :, :, 0]
    np.testing.assert_allclose(half, [[0, .25, .75, 1], [.5, .75, 1.25, 1.5], [1.5, 1.75, 2.25, 2.5],
                                      [2, 2.25, 2.75, 3]])
    corners = resize("ResizeBilinear", IMG, (3, 3), align=True)[0, :, :, 0]
    np.testing.assert_allclose(corners, [[0, .5, 1], [1, 1.5, 2], [2, 2.5, 3]])
    legacy = resize("ResizeBilinear", IMG, (4, 4))[0, :, :, 0]
    np.testing.assert_allclose(legacy, [[0, .5, 1, 1], [1, 1.5, 2, 2], [2, 2.5, 3, 3], [2, 2.5, 3, 3]])
    down = resize("ResizeBilinear", np.arange(16, dtype=F32).reshape(1, 4, 4, 1), (2, 2), half=True)[0, :, :, 0]
    np.testing.assert_allclose(down, [[2.5, 4.5], [10.5, 12.5]])


def test_nearest_hand_cases_with_tfjs_rounding():
    row = np.arange(3, dtype=F32).reshape(1, 1, 3, 1)
    # align_corners: source 0, .5, 1, 1.5, 2 rounds half up (Math.round), not to even
    got = resize("ResizeNearestNeighbor", row, (1, 5), align=True)[0, 0, :, 0]
    np.testing.assert_array_equal(got, [0, 1, 1, 2, 2])
    # half_pixel_centers: floor((i + .5) * scale) with no -0.5: 4 -> 3 picks 0, 2, 3
    row4 = np.arange(4, dtype=F32).reshape(1, 1, 4, 1)
    np.testing.assert_array_equal(resize("ResizeNearestNeighbor", row4, (1, 3), half=True)[0, 0, :, 0], [0, 2, 3])
    np.testing.assert_array_equal(resize("ResizeNearestNeighbor", row4, (1, 3))[0, 0, :, 0], [0, 1, 2])
    up = resize("ResizeNearestNeighbor", IMG, (4, 4), half=True)[0, :, :, 0]
    np.testing.assert_array_equal(up, [[0, 0, 1, 1], [0, 0, 1, 1], [2, 2, 3, 3], [2, 2, 3, 3]])


def ref_resize(x, oh, ow, mode, align, half):
    """TF.js's CPU kernels transcribed: one output value at a time, in double."""
    n, h, w, c = x.shape
    rh = (h - 1) / (oh - 1) if align and oh > 1 else h / oh
    rw = (w - 1) / (ow - 1) if align and ow > 1 else w / ow
    out = np.zeros((n, oh, ow, c))
    for b, r, q, d in itertools.product(range(n), range(oh), range(ow), range(c)):
        if mode == "bilinear":
            sr = rh * (r + .5) - .5 if half else rh * r
            sc = rw * (q + .5) - .5 if half else rw * q
            r0, c0 = max(0, math.floor(sr)), max(0, math.floor(sc))
            r1, c1 = min(h - 1, math.ceil(sr)), min(w - 1, math.ceil(sc))
            fr, fc = sr - r0, sc - c0
            top = x[b, r0, c0, d] + (x[b, r0, c1, d] - x[b, r0, c0, d]) * fc
            bot = x[b, r1, c0, d] + (x[b, r1, c1, d] - x[b, r1, c0, d]) * fc
            out[b, r, q, d] = top + (bot - top) * fr
        else:
            sr, sc = (rh * (r + .5), rw * (q + .5)) if half else (rh * r, rw * q)
            pick = (lambda v: math.floor(v + .5)) if align else math.floor
            rr, cc = min(h - 1, pick(sr)), min(w - 1, pick(sc))
            if half:
                rr, cc = max(0, rr), max(0, cc)
            out[b, r, q, d] = x[b, rr, cc, d]
    return out


@pytest.mark.parametrize("size", [(7, 5), (3, 2), (1, 1), (8, 8), (2, 9)])
@pytest.mark.parametrize("align,half", [(False, False), (True, False), (False, True)])
def test_resizes_against_the_kernel_loops(size, align, half):
    x = RNG.standard_normal((2, 4, 5, 3)).astype(F32)
    got = resize("ResizeBilinear", x, size, align, half)
    assert got.dtype == F32 and got.shape == (2, *size, 3)
    np.testing.assert_allclose(got, ref_resize(x.astype(float), *size, "bilinear", align, half), rtol=1e-6, atol=1e-6)
    got = resize("ResizeNearestNeighbor", x, size, align, half)
    np.testing.assert_array_equal(got, ref_resize(x, *size, "nearest", align, half).astype(F32))


def test_resize_dtypes_rank3_empty_and_errors():
    xi = RNG.integers(0, 255, (3, 4, 2)).astype(np.int32)
    bil = resize("ResizeBilinear", xi, (6, 8), half=True)
    assert bil.dtype == F32 and bil.shape == (6, 8, 2)
    np.testing.assert_allclose(bil, ref_resize(xi[None].astype(float), 6, 8, "bilinear", False, True)[0], rtol=1e-6)
    near = resize("ResizeNearestNeighbor", xi, (6, 8))
    assert near.dtype == np.int32 and near.shape == (6, 8, 2)
    assert resize("ResizeBilinear", xi, (0, 3)).shape == (0, 3, 2)
    with pytest.raises(ValueError, match="cannot both be true"):
        resize("ResizeBilinear", IMG, (3, 3), align=True, half=True)
    with pytest.raises(ValueError, match="rank 3 or 4"):
        resize("ResizeBilinear", np.zeros((2, 2), F32), (3, 3))
    with pytest.raises(ValueError, match="2 values"):
        run_op("ResizeBilinear", [IMG, np.array([3, 3, 3])])


def ref_crop(image, boxes, ind, ch, cw, method, extra):
    """TF.js's CropAndResize kernel transcribed."""
    n, h, w, c = image.shape
    out = np.zeros((len(boxes), ch, cw, c))
    for b, (y1, x1, y2, x2) in enumerate(boxes.astype(float)):
        if ind[b] >= n:
            continue
        hs = (y2 - y1) * (h - 1) / (ch - 1) if ch > 1 else 0
        ws = (x2 - x1) * (w - 1) / (cw - 1) if cw > 1 else 0
        for y, x in itertools.product(range(ch), range(cw)):
            yi = y1 * (h - 1) + y * hs if ch > 1 else .5 * (y1 + y2) * (h - 1)
            xi = x1 * (w - 1) + x * ws if cw > 1 else .5 * (x1 + x2) * (w - 1)
            if not (0 <= yi <= h - 1 and 0 <= xi <= w - 1):
                out[b, y, x] = extra
                continue
            img = image[ind[b]].astype(float)
            if method == "nearest":
                out[b, y, x] = img[math.floor(yi + .5), math.floor(xi + .5)]
                continue
            t, bo, le, ri = math.floor(yi), math.ceil(yi), math.floor(xi), math.ceil(xi)
            top = img[t, le] + (img[t, ri] - img[t, le]) * (xi - le)
            bot = img[bo, le] + (img[bo, ri] - img[bo, le]) * (xi - le)
            out[b, y, x] = top + (bot - top) * (yi - t)
    return out


@pytest.mark.parametrize("method", ["bilinear", "nearest"])
@pytest.mark.parametrize("crop", [(3, 4), (1, 1), (5, 1)])
def test_crop_and_resize_against_the_kernel_loop(method, crop):
    image = RNG.standard_normal((2, 5, 6, 2)).astype(F32)
    boxes = np.array([[0, 0, 1, 1], [.2, .1, .9, 1.3], [.8, .7, .1, .2], [-.5, -.2, .5, .4], [0, 0, .5, .5]], F32)
    ind = np.array([0, 1, 1, 0, 7], np.int32)  # index 7 is past the batch: TF.js leaves zeros
    got = run_op("CropAndResize", [image, boxes, ind, np.array(crop, np.int32)], method=method,
                 extrapolation_value=-2.5)
    assert got.dtype == F32 and got.shape == (5, *crop, 2)
    np.testing.assert_allclose(got, ref_crop(image, boxes, ind, *crop, method, -2.5), rtol=1e-6, atol=1e-6)
    assert not got[4].any()


def test_crop_and_resize_errors():
    image = np.zeros((1, 3, 3, 1), F32)
    with pytest.raises(ValueError, match="shape \\(n, 4\\)"):
        run_op("CropAndResize", [image, np.zeros((2, 3), F32), np.zeros(2, np.int32), np.array([2, 2])])
    with pytest.raises(ValueError, match="negative"):
        run_op("CropAndResize", [image, np.zeros((1, 4), F32), np.array([-1]), np.array([2, 2])])
    with pytest.raises(ValueError, match="method"):
        run_op("CropAndResize", [image, np.zeros((1, 4), F32), np.array([0]), np.array([2, 2])], method="cubic")


def ref_transform(images, t, oh, ow, interp, mode, fill):
    n, h, w, c = images.shape
    out = np.full((n, oh, ow, c), fill, float)

    def coord(v, size):
        if mode == "nearest":
            return min(max(v, 0), size - 1)
        if mode == "constant":
            return v
        if v < 0 or v > size - 1:
            if size <= 1:
                return 0
            if mode == "wrap":
                v = v + size * (math.trunc(-v / (size - 1)) + 1) if v < 0 else v - size * math.trunc(v / (size - 1))
            elif v < 0:
                v = 2 * size * math.trunc(-v / (2 * size)) + v
                v = v + 2 * size if v < -size else -v - 1
            else:
                v -= 2 * size * math.trunc(v / (2 * size))
                v = 2 * size - v - 1 if v >= size else v
        return min(max(v, 0), size - 1)

    def read(b, y, x, d):
        return images[b, y, x, d] if 0 <= y < h and 0 <= x < w else fill

    for b, y, x, d in itertools.product(range(n), range(oh), range(ow), range(c)):
        a = t[0] if len(t) == 1 else t[b]
        k = a[6] * x + a[7] * y + 1
        if k == 0:
            continue
        xi = coord((a[0] * x + a[1] * y + a[2]) / k, w)
        yi = coord((a[3] * x + a[4] * y + a[5]) / k, h)
        if interp == "nearest":
            out[b, y, x, d] = read(b, math.floor(yi + .5), math.floor(xi + .5), d)
        else:
            y0, x0 = math.floor(yi), math.floor(xi)
            top = (x0 + 1 - xi) * read(b, y0, x0, d) + (xi - x0) * read(b, y0, x0 + 1, d)
            bot = (x0 + 1 - xi) * read(b, y0 + 1, x0, d) + (xi - x0) * read(b, y0 + 1, x0 + 1, d)
            out[b, y, x, d] = (y0 + 1 - yi) * top + (yi - y0) * bot
    return out


@pytest.mark.parametrize("interp", ["NEAREST", "BILINEAR"])
@pytest.mark.parametrize("mode", ["CONSTANT", "REFLECT", "WRAP", "NEAREST"])
def test_image_projective_transform_against_the_kernel_loop(interp, mode):
    images = RNG.standard_normal((2, 5, 4, 2)).astype(F32)
    t = np.array([[0.9, 0.2, 1.3, -0.1, 1.1, -1.7, 0.01, -0.02], [1, 0, -2.5, 0, 1, 3.25, 0, 0]], F32)
    got = run_op("ImageProjectiveTransformV3", [images, t, np.array([6, 5], np.int32), np.array(0.5, F32)],
                 interpolation=interp, fill_mode=mode)
    want = ref_transform(images.astype(float), t.astype(float), 6, 5, interp.lower(), mode.lower(), 0.5)
    assert got.dtype == F32 and got.shape == (2, 6, 5, 2)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_identity_transform_returns_the_image():
    images = RNG.standard_normal((1, 3, 4, 1)).astype(F32)
    got = run_op("ImageProjectiveTransformV3", [images, np.array([[1, 0, 0, 0, 1, 0, 0, 0]], F32),
                                                np.array([3, 4]), np.array(0, F32)], interpolation="BILINEAR")
    np.testing.assert_allclose(got, images)


def test_image_ops_match_tfjs():
    from tfjs_oracle import check_against_tfjs

    x = RNG.standard_normal((2, 5, 7, 3)).astype(F32)
    xi = RNG.integers(0, 255, (1, 4, 6, 2)).astype(np.int32)
    ops = []
    for size in ((3, 4), (11, 9), (1, 1), (10, 14)):
        for align, half in ((False, False), (True, False), (False, True)):
            flags = dict(align_corners=align, half_pixel_centers=half)
            ops.append(("ResizeBilinear", [x, np.array(size, np.int32)], dict(flags)))
            ops.append(("ResizeNearestNeighbor", [x, np.array(size, np.int32)], dict(flags)))
    ops += [
        ("ResizeBilinear", [xi, np.array([7, 5], np.int32)], dict(half_pixel_centers=True)),
        ("ResizeNearestNeighbor", [xi, np.array([7, 5], np.int32)], dict(align_corners=True)),
    ]
    boxes = np.array([[0, 0, 1, 1], [.2, .1, .9, 1.3], [.8, .7, .1, .2], [-.5, -.2, .5, .4]], F32)
    for method in ("bilinear", "nearest"):
        for crop in ((3, 4), (1, 1)):
            ops.append(("CropAndResize", [x, boxes, np.array([0, 1, 1, 0], np.int32), np.array(crop, np.int32)],
                        dict(method=method, extrapolation_value=-1.5)))
    t = np.array([[0.9, 0.2, 1.3, -0.1, 1.1, -1.7, 0.01, -0.02]], F32)
    for interp in ("NEAREST", "BILINEAR"):
        for mode in ("CONSTANT", "REFLECT", "WRAP", "NEAREST"):
            ops.append(("ImageProjectiveTransformV3", [x[:1], t, np.array([6, 8], np.int32), np.array(0.5, F32)],
                        dict(interpolation=interp, fill_mode=mode)))
    check_against_tfjs(ops, rtol=1e-5, atol=1e-6)


def test_random_resizes_and_crops_match_tfjs():
    from tfjs_oracle import check_against_tfjs

    rng = np.random.default_rng(2024)
    ops = []
    for _ in range(100):
        (h, w), c, n = rng.integers(1, 12, 2), int(rng.integers(1, 4)), int(rng.integers(1, 3))
        x = rng.standard_normal((n, h, w, c)).astype(F32)
        size = np.array(rng.integers(1, 15, 2), np.int32)
        align, half = [(False, False), (True, False), (False, True)][rng.integers(0, 3)]
        op = str(rng.choice(["ResizeBilinear", "ResizeNearestNeighbor", "CropAndResize"]))
        if op == "CropAndResize":
            nb = int(rng.integers(1, 4))
            boxes = (rng.standard_normal((nb, 4)) * 0.6 + 0.5).astype(F32)
            ops.append((op, [x, boxes, rng.integers(0, n, nb).astype(np.int32), np.array(rng.integers(1, 6, 2),
                                                                                          np.int32)],
                        dict(method=str(rng.choice(["bilinear", "nearest"])),
                             extrapolation_value=float(rng.standard_normal()))))
        else:
            ops.append((op, [x, size], dict(align_corners=align, half_pixel_centers=half)))
    check_against_tfjs(ops, rtol=1e-5, atol=1e-6)
