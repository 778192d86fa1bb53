"""Image reading: every input form and mode, EXIF orientation, and the errors."""

import io

import numpy as np
import pytest
from PIL import Image

from tfcache_nb.errors import ImageError
from tfcache_nb.inference import images
from tfcache_nb.inference.images import load_image


def _png(img, fmt="PNG", **kw):
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


RGB = np.random.default_rng(4).integers(0, 256, (6, 5, 3), dtype=np.uint8)


def test_sources_path_bytes_file_pil_and_array(tmp_path):
    path = tmp_path / "a.png"
    Image.fromarray(RGB).save(path)
    for source in (path, str(path), path.read_bytes(), io.BytesIO(path.read_bytes()), Image.fromarray(RGB), RGB):
        assert np.array_equal(load_image(source), RGB)


def test_resize_is_pillow_bilinear():
    big = np.random.default_rng(5).integers(0, 256, (40, 30, 3), dtype=np.uint8)
    expected = np.asarray(Image.fromarray(big).resize((8, 10), Image.BILINEAR))
    assert np.array_equal(load_image(big, (10, 8)), expected)


def test_modes_are_converted_to_rgb():
    gray = np.arange(30, dtype=np.uint8).reshape(6, 5) * 8
    assert np.array_equal(load_image(Image.fromarray(gray, "L")), np.repeat(gray[:, :, None], 3, axis=2))
    assert np.array_equal(load_image(gray[:, :, None]), np.repeat(gray[:, :, None], 3, axis=2))
    # RGBA: composited on white
    rgba = np.zeros((2, 2, 4), np.uint8)
    rgba[..., 0] = 200
    rgba[0, 0, 3] = 255
    out = load_image(Image.fromarray(rgba, "RGBA"))
    assert out[0, 0].tolist() == [200, 0, 0] and out[1, 1].tolist() == [255, 255, 255]
    assert np.array_equal(load_image(rgba), out)
    # palette
    pal = Image.fromarray(RGB).convert("P")
    assert np.array_equal(load_image(_png(pal)), np.asarray(pal.convert("RGB")))
    # CMYK
    cmyk = Image.fromarray(RGB).convert("CMYK")
    assert np.array_equal(load_image(cmyk), np.asarray(cmyk.convert("RGB")))
    # 16-bit grayscale: scaled from 0..65535
    i16 = Image.fromarray(np.array([[0, 65535], [32768, 257]], np.uint16))
    assert i16.mode.startswith("I;16")
    assert load_image(i16)[:, :, 0].tolist() == [[0, 255], [128, 1]]


def test_float_arrays():
    frac = RGB.astype(np.float32) / 255
    assert np.array_equal(load_image(frac), RGB)
    assert np.array_equal(load_image(RGB.astype(np.float64)), RGB)
    with pytest.raises(ImageError, match="NaN"):
        load_image(np.full((2, 2, 3), np.nan))


def test_exif_orientation_is_applied():
    img = Image.fromarray(np.zeros((2, 4, 3), np.uint8))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    data = _png(img, "JPEG", exif=exif.tobytes())
    assert load_image(data).shape == (4, 2, 3)


@pytest.mark.parametrize("source,words", [
    (b"", "empty"),
    (b"not an image at all", "cannot be decoded"),
    (np.zeros((0, 3, 3), np.uint8), "no pixels"),
    (np.zeros((3, 3, 2), np.uint8), "HxWx3"),
    (12, "int"),
])
def test_errors(source, words):
    with pytest.raises(ImageError, match=words):
        load_image(source)


def test_truncated_missing_and_empty_files(tmp_path):
    data = _png(Image.fromarray(np.random.default_rng(6).integers(0, 256, (64, 64, 3), dtype=np.uint8)))
    with pytest.raises(ImageError, match="cannot be decoded"):
        load_image(data[: len(data) // 2])
    with pytest.raises(ImageError, match="does not exist"):
        load_image(tmp_path / "nope.png")
    (tmp_path / "empty.png").write_bytes(b"")
    with pytest.raises(ImageError, match="empty"):
        load_image(tmp_path / "empty.png")


def test_huge_image_is_refused_before_decoding(monkeypatch):
    monkeypatch.setattr(images, "MAX_PIXELS", 100)
    data = _png(Image.new("RGB", (20, 20)))
    with pytest.raises(ImageError, match="20x20"):
        load_image(data)


def test_messages_name_the_problem_not_python_objects(tmp_path):
    with pytest.raises(ImageError) as err:
        load_image(b"definitely not an image")
    assert "object at 0x" not in str(err.value)
    with pytest.raises(ImageError, match="is a folder, not an image"):
        load_image(tmp_path)
