"""Large batches run in equal chunks; the answers are those of one image at a time."""

from __future__ import annotations

import numpy as np
import pytest

import tfcache_nb as tc
from tfcache_nb.inference.model import L2_BYTES, LARGE_ACTIVATION_CHUNK, _largest_divisor_at_most, batch_chunk


@pytest.mark.parametrize(("n", "limit", "expected"), [(8, 4, 4), (10, 4, 2), (7, 4, 1), (3, 4, 3), (8, 1, 1)])
def test_chunks_are_equal_divisors(n, limit, expected):
    assert _largest_divisor_at_most(n, limit) == expected


def test_chunk_size_follows_the_activation_size():
    assert batch_chunk(L2_BYTES) == 1
    assert batch_chunk(L2_BYTES + 1) == LARGE_ACTIVATION_CHUNK


@pytest.mark.parametrize("forced_chunk", [None, 2, 4])
def test_chunked_batches_equal_single_images(synthetic_artifacts, forced_chunk):
    model = tc.Model.from_artifacts(synthetic_artifacts)
    x = np.random.default_rng(1).uniform(-1, 1, (6, 224, 224, 3)).astype(np.float32)
    singles = np.concatenate([model.predict(x[i:i + 1]) for i in range(6)])
    if forced_chunk is not None:
        model._chunk = forced_chunk
    batch = model.predict(x)
    assert batch.shape == singles.shape == (6, 1000)
    np.testing.assert_allclose(batch, singles, rtol=1e-5, atol=1e-7)
