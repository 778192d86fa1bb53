"""Matplotlib's sample photographs: real images that every installation already has."""

from __future__ import annotations

from pathlib import Path


def sample_image_path(name: str = "grace_hopper.jpg") -> Path:
    """The path of one of matplotlib's sample images (``grace_hopper.jpg`` by default)."""
    import matplotlib

    path = Path(matplotlib.get_data_path()) / "sample_data" / name
    if not path.is_file():
        from ..errors import ImageError

        raise ImageError(f"matplotlib's sample image {name!r} is not installed.")
    return path


def sample_images() -> dict[str, Path]:
    """Every sample photograph available here, by name."""
    import matplotlib

    folder = Path(matplotlib.get_data_path()) / "sample_data"
    return {p.name: p for p in sorted(folder.glob("*.jpg")) + sorted(folder.glob("*.png"))
            if p.stat().st_size > 10_000}
