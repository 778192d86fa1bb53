"""dynamic ops (non-max suppression, Where, ListDiff) against direct loops, hand cases and the
real TF.js."""

import itertools
import math

import numpy as np
import pytest

from graph_helpers import run_op
from tfjs_oracle import assert_same_as_tfjs, case, tfjs_run

RNG = np.random.default_rng(3)


def iou(a, b):
    """IoU of two boxes given as (y1, x1, y2, x2) in any corner order; 0 for an empty box."""
    ay1, ay2 = sorted((float(a[0]), float(a[2])))
    ax1, ax2 = sorted((float(a[1]), float(a[3])))
    by1, by2 = sorted((float(b[0]), float(b[2])))
    bx1, bx2 = sorted((float(b[1]), float(b[3])))
    area_a, area_b = (ay2 - ay1) * (ax2 - ax1), (by2 - by1) * (bx2 - bx1)
    if area_a <= 0 or area_b <= 0:
        return 0.0
    inter = max(min(ay2, by2) - max(ay1, by1), 0.0) * max(min(ax2, bx2) - max(ax1, bx1), 0.0)
    return inter / (area_a + area_b - inter)


def greedy_nms(boxes, scores, max_out, iou_thr, score_thr=-math.inf):
    """Textbook greedy NMS: best score first (lower index on ties), drop overlaps >= threshold."""
    order = sorted((i for i in range(len(scores)) if scores[i] > score_thr), key=lambda i: (-float(scores[i]), i))
    kept = []
    for i in order:
        if len(kept) == min(max_out, len(scores)):
            break
        if all(iou(boxes[i], boxes[j]) < iou_thr for j in kept):
            kept.append(i)
    return kept


def soft_nms_reference(boxes, scores, max_out, iou_thr, score_thr, sigma):
    """TF.js's soft-NMS written as a plain search: each step takes the best remaining candidate
    (ties: lower index), decays it by the boxes selected since it was last looked at, and keeps
    it only if its score did not change (else it waits with the lower score)."""
    pending = {i: [float(scores[i]), 0] for i in range(len(scores)) if scores[i] > score_thr}
    picked, picked_scores = [], []
    while len(picked) < min(max_out, len(scores)) and pending:
        i = max(pending, key=lambda k: (pending[k][0], -k))
        score, since = pending.pop(i)
        original = score
        dropped = False
        for j in reversed(picked[since:]):
            o = iou(boxes[i], boxes[j])
            if o >= iou_thr:
                dropped = True
                break
            score *= math.exp(-0.5 / sigma * o * o)
            if score <= score_thr:
                break
        if dropped:
            continue
        if score == original:
            picked.append(i)
            picked_scores.append(score)
        elif score > score_thr:
            pending[i] = [score, len(picked)]
    return picked, picked_scores


def random_boxes(n, rng=RNG, grid=False):
    centers = rng.uniform(0, 1, (n, 2))
    sizes = rng.uniform(0.05, 0.4, (n, 2))
    boxes = np.concatenate([centers - sizes / 2, centers + sizes / 2], axis=1)
    flip = rng.random(n) < 0.2  # corners in either order
    boxes[flip] = boxes[flip][:, [2, 3, 0, 1]]
    if grid:
        boxes = np.round(boxes * 8) / 8  # many identical boxes and IoUs
    return boxes.astype(np.float32)


def nms_inputs(boxes, scores, max_out, iou_thr, score_thr=None, sigma=None):
    xs = [boxes, scores, np.array(max_out, np.int32), np.array(iou_thr, np.float32)]
    if score_thr is not None:
        xs.append(np.array(score_thr, np.float32))
    if sigma is not None:
        xs.append(np.array(sigma, np.float32))
    return xs


def test_nms_v2_v3_against_greedy_loop_with_ties_and_thresholds():
    for trial in range(60):
        n = int(RNG.integers(0, 40))
        boxes = random_boxes(n, grid=trial % 2 == 0)
        scores = np.round(RNG.uniform(0, 1, n), 1).astype(np.float32)  # many equal scores
        max_out = int(RNG.integers(0, 50))
        iou_thr = float(RNG.choice([0.0, 0.3, 0.5, 1.0]))
        score_thr = float(RNG.choice([-np.inf, 0.0, 0.3, 0.5]))
        got = run_op("NonMaxSuppressionV3", nms_inputs(boxes, scores, max_out, iou_thr, score_thr))
        assert got.dtype == np.int32
        assert got.tolist() == greedy_nms(boxes, scores, max_out, np.float32(iou_thr), np.float32(score_thr))
        got2 = run_op("NonMaxSuppressionV2", nms_inputs(boxes, scores, max_out, iou_thr))
        assert got2.tolist() == greedy_nms(boxes, scores, max_out, np.float32(iou_thr))


def test_nms_many_boxes_against_greedy_loop():
    rng = np.random.default_rng(8)
    for n, max_out, thr in [(400, 1000, 0.3), (400, 37, 0.5), (300, 300, 0.0), (250, 100, 1.0)]:
        boxes = random_boxes(n, rng, grid=n == 300)
        scores = np.round(rng.uniform(0, 1, n), 2).astype(np.float32)
        got = run_op("NonMaxSuppressionV3", nms_inputs(boxes, scores, max_out, thr, 0.1))
        assert got.tolist() == greedy_nms(boxes, scores, max_out, np.float32(thr), np.float32(0.1))


def test_nms_hand_case():
    boxes = np.array([[0, 0, 1, 1], [0, 0.1, 1, 1.1], [0, -0.1, 1, 0.9], [0, 10, 1, 11], [0, 10.1, 1, 11.1]], np.float32)
    scores = np.array([0.9, 0.75, 0.6, 0.95, 0.5], np.float32)
    # 3 beats all; 0 next; 1 and 2 overlap 0 (IoU ~0.82); 4 overlaps 3
    assert run_op("NonMaxSuppressionV3", nms_inputs(boxes, scores, 10, 0.5, 0.0)).tolist() == [3, 0]
    assert run_op("NonMaxSuppressionV3", nms_inputs(boxes, scores, 1, 0.5, 0.0)).tolist() == [3]
    # a score exactly at the threshold is not a candidate
    assert run_op("NonMaxSuppressionV3", nms_inputs(boxes, scores, 10, 0.5, 0.9)).tolist() == [3]
    # IoU exactly at the threshold suppresses: identical boxes have IoU 1
    same = np.array([[0, 0, 1, 1]] * 3, np.float32)
    assert run_op("NonMaxSuppressionV3", nms_inputs(same, np.ones(3, np.float32), 3, 1.0, 0.0)).tolist() == [0]


def test_nms_v4_pads_to_the_clamped_max_and_counts_valid():
    boxes = np.array([[0, 0, 1, 1], [0, 0, 1, 1], [2, 2, 3, 3], [4, 4, 5, 5]], np.float32)
    scores = np.array([0.9, 0.8, 0.7, 0.1], np.float32)
    idx, valid = run_op("NonMaxSuppressionV4", nms_inputs(boxes, scores, 6, 0.5, 0.5), pad_to_max_output_size=True)
    assert idx.dtype == np.int32 and valid.dtype == np.int32 and valid.shape == ()
    assert idx.tolist() == [0, 2, 0, 0] and int(valid) == 2  # padded to min(6, 4 boxes)
    idx, valid = run_op("NonMaxSuppressionV4", nms_inputs(boxes, scores, 6, 0.5, 0.5), pad_to_max_output_size=False)
    assert idx.tolist() == [0, 2] and int(valid) == 2


def test_soft_nms_hand_case_and_random_against_reference():
    boxes = np.array([[0, 0, 1, 1], [0, 0.6, 1, 1.6], [5, 5, 6, 6]], np.float32)
    scores = np.array([0.9, 0.8, 0.76], np.float32)
    idx, sc = run_op("NonMaxSuppressionV5", nms_inputs(boxes, scores, 3, 0.5, 0.0, 0.5))
    overlap = 0.4 / 1.6  # IoU of boxes 0 and 1: box 1 decays to 0.8 * exp(-overlap**2) = 0.75 < 0.76
    assert idx.tolist() == [0, 2, 1] and sc.dtype == np.float32
    np.testing.assert_allclose(sc, [0.9, 0.76, np.float32(0.8) * math.exp(-overlap ** 2)], rtol=1e-6)
    for trial in range(40):
        n = int(RNG.integers(0, 30))
        boxes = random_boxes(n, grid=trial % 3 == 0)
        scores = np.round(RNG.uniform(0, 1, n), 2).astype(np.float32)
        args = (boxes, scores, int(RNG.integers(0, 35)), float(RNG.choice([0.3, 0.6, 1.0])),
                float(RNG.choice([0.0, 0.2])), float(RNG.choice([0.1, 0.5, 1.0])))
        idx, sc = run_op("NonMaxSuppressionV5", nms_inputs(*args))
        want_idx, want_sc = soft_nms_reference(*[np.float32(a) if isinstance(a, float) else a for a in args])
        assert idx.tolist() == want_idx
        np.testing.assert_allclose(sc, np.array(want_sc, np.float32), rtol=1e-6)


def test_nms_v5_without_sigma_is_hard_nms_with_scores():
    boxes, scores = random_boxes(20), RNG.uniform(0, 1, 20).astype(np.float32)
    idx, sc = run_op("NonMaxSuppressionV5", nms_inputs(boxes, scores, 20, 0.5, 0.0, 0.0))
    assert idx.tolist() == greedy_nms(boxes, scores, 20, np.float32(0.5), 0.0)
    np.testing.assert_array_equal(sc, scores[idx])


def test_nms_bad_input():
    boxes = np.zeros((3, 4), np.float32)
    with pytest.raises(ValueError, match="iou_threshold"):
        run_op("NonMaxSuppressionV3", nms_inputs(boxes, np.zeros(3, np.float32), 2, 1.5, 0.0))
    with pytest.raises(ValueError, match=r"\[n, 4\]"):
        run_op("NonMaxSuppressionV3", nms_inputs(np.zeros((3, 3), np.float32), np.zeros(3, np.float32), 2, 0.5, 0.0))
    with pytest.raises(ValueError, match="do not match"):
        run_op("NonMaxSuppressionV3", nms_inputs(boxes, np.zeros(2, np.float32), 2, 0.5, 0.0))


def test_nms_matches_tfjs():
    cases, ours = [], []
    rng = np.random.default_rng(5)
    for trial in range(12):
        n = int(rng.integers(1, 60))
        boxes = random_boxes(n, rng, grid=trial % 2 == 1)
        scores = np.round(rng.uniform(0, 1, n), 1).astype(np.float32)
        args = (boxes, scores, int(rng.integers(1, 40)), float(rng.choice([0.3, 0.5])), 0.2)
        cases.append(case("NonMaxSuppressionV3", nms_inputs(*args)))
        ours.append([run_op("NonMaxSuppressionV3", nms_inputs(*args))])
        cases.append(case("NonMaxSuppressionV4", nms_inputs(*args), outputs=2, pad_to_max_output_size=True))
        ours.append(run_op("NonMaxSuppressionV4", nms_inputs(*args), pad_to_max_output_size=True))
        soft = nms_inputs(*args, sigma=float(rng.choice([0.2, 0.6])))
        cases.append(case("NonMaxSuppressionV5", soft, outputs=2))
        ours.append(run_op("NonMaxSuppressionV5", soft))
    for k, (theirs, mine) in enumerate(zip(tfjs_run(cases), ours)):
        assert not isinstance(theirs, str), theirs
        for t, m in zip(theirs, mine):
            assert_same_as_tfjs(m, t, f"case {k}")


# ---------------------------------------------------------------- Where, ListDiff

def test_where_gives_int32_coordinates_in_row_major_order():
    cond = RNG.random((3, 4, 2)) < 0.4
    got = run_op("Where", [cond])
    want = [list(pos) for pos in itertools.product(range(3), range(4), range(2)) if cond[pos]]
    assert got.dtype == np.int32 and got.shape == (len(want), 3) and got.tolist() == want
    # numbers count as true when non-zero (NaN included)
    got = run_op("Where", [np.array([0.0, np.nan, -2.0, 0.0], np.float32)])
    assert got.tolist() == [[1], [2]]
    assert run_op("Where", [np.zeros((2, 0), bool)]).shape == (0, 2)
    assert run_op("Where", [np.zeros((2, 3), bool)]).shape == (0, 2)


def test_list_diff_keeps_order_and_repeats():
    x = np.array([1, 2, 3, 4, 3, 5, 1], np.int32)
    y = np.array([1, 4, 9], np.int32)
    values, idx = run_op("ListDiff", [x, y])
    want = [(v, i) for i, v in enumerate(x.tolist()) if v not in y.tolist()]
    assert values.dtype == np.int32 and idx.dtype == np.int32
    assert values.tolist() == [v for v, _ in want] and idx.tolist() == [i for _, i in want]
    values, idx = run_op("ListDiff", [np.array([np.nan, 1.0], np.float32), np.array([np.nan], np.float32)])
    assert values.tolist() == [1.0] and idx.tolist() == [1]
    values, idx = run_op("ListDiff", [np.zeros(0, np.float32), np.array([1.0], np.float32)])
    assert values.shape == (0,) and idx.shape == (0,)
    with pytest.raises(TypeError, match="same dtype"):
        run_op("ListDiff", [x, y.astype(np.float32)])
    with pytest.raises(ValueError, match="1-D"):
        run_op("ListDiff", [x.reshape(7, 1), y])


def test_nms_box_with_nan_corner_suppresses_nothing_as_tfjs():
    # TF.js 4.22 (checked under node): IoU with a NaN corner is NaN, and NaN >= threshold is false
    boxes = np.array([[0, 0, 1, 1], [np.nan, 0, 1, 1], [0, 0, 1, 1]], np.float32)
    scores = np.array([0.9, 0.8, 0.7], np.float32)
    with np.errstate(invalid="ignore"):
        assert run_op("NonMaxSuppressionV3", nms_inputs(boxes, scores, 10, 0.5, -np.inf)).tolist() == [0, 1]
