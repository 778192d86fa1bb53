"""The dynamic family's executors (TF.js executors/dynamic_executor): outputs whose size
depends on the data (non-max suppression, Where, ListDiff)."""

from __future__ import annotations

import bisect
import math

import numpy as np

from ..registry import ExecutionContext, Executor, Params


def nms_v2(p: Params, ctx: ExecutionContext) -> np.ndarray:
    indices, _ = non_max_suppression(p.boxes, p.scores, p.max_output_size, p.iou_threshold)
    return indices


def nms_v3(p: Params, ctx: ExecutionContext) -> np.ndarray:
    indices, _ = non_max_suppression(p.boxes, p.scores, p.max_output_size, p.iou_threshold, p.score_threshold)
    return indices


def nms_v4(p: Params, ctx: ExecutionContext) -> list[np.ndarray]:
    boxes, scores, max_out = _checked(p.boxes, p.scores, p.max_output_size, p.iou_threshold, 0.0)
    indices, _ = non_max_suppression(boxes, scores, max_out, p.iou_threshold, p.score_threshold)
    valid = np.array(len(indices), np.int32)
    if p.pad_to_max_output_size and len(indices) < max_out:
        indices = np.concatenate([indices, np.zeros(max_out - len(indices), np.int32)])
    return [indices, valid]


def nms_v5(p: Params, ctx: ExecutionContext) -> list[np.ndarray]:
    indices, scores = non_max_suppression(p.boxes, p.scores, p.max_output_size, p.iou_threshold,
                                          p.score_threshold, p.soft_nms_sigma)
    return [indices, scores]


def _checked(boxes, scores, max_output_size, iou_threshold, soft_nms_sigma):
    boxes = np.asarray(boxes)
    scores = np.asarray(scores)
    if boxes.ndim != 2 or boxes.shape[1] != 4:
        raise ValueError(f"boxes must have shape [n, 4], got {list(boxes.shape)}")
    if scores.ndim != 1 or scores.shape[0] != boxes.shape[0]:
        raise ValueError(f"scores of shape {list(scores.shape)} do not match {boxes.shape[0]} boxes")
    if not 0 <= iou_threshold <= 1:
        raise ValueError(f"iou_threshold must be in [0, 1], got {iou_threshold}")
    if not 0 <= soft_nms_sigma <= 1:
        raise ValueError(f"soft_nms_sigma must be in [0, 1], got {soft_nms_sigma}")
    return boxes, scores, min(int(max_output_size), boxes.shape[0])


def non_max_suppression(boxes, scores, max_output_size, iou_threshold=0.5, score_threshold=-math.inf,
                        soft_nms_sigma=0.0) -> tuple[np.ndarray, np.ndarray]:
    """Selected box indices (int32) and their scores (float32), as TF.js's nonMaxSuppressionImpl.

    Candidates above ``score_threshold`` are visited by score, ties by the lower index; a box is
    dropped when its IoU with a selected box is at least ``iou_threshold``. With a soft-NMS sigma
    the scores of overlapping boxes decay by exp(-iou**2 / (2 sigma)) instead (Bodla et al.).
    """
    boxes, scores, max_out = _checked(boxes, scores, max_output_size, iou_threshold, soft_nms_sigma)
    # TF.js computes in doubles from the float32 values
    b = boxes.astype(np.float32).astype(np.float64)
    s = scores.astype(np.float32).astype(np.float64)
    y1, x1 = np.minimum(b[:, 0], b[:, 2]), np.minimum(b[:, 1], b[:, 3])
    y2, x2 = np.maximum(b[:, 0], b[:, 2]), np.maximum(b[:, 1], b[:, 3])
    corners = (y1, x1, y2, x2, (y2 - y1) * (x2 - x1))
    if soft_nms_sigma > 0:
        return _soft_nms(corners, s, max_out, float(iou_threshold), float(score_threshold), float(soft_nms_sigma))
    order = np.nonzero(s > score_threshold)[0]
    order = order[np.argsort(-s[order], kind="stable")]  # by score, ties by the lower index
    idx = _greedy(corners, order, max_out, float(iou_threshold))
    return idx, s[idx].astype(np.float32)


def _greedy(corners, order: np.ndarray, max_out: int, iou_threshold: float, block: int = 48) -> np.ndarray:
    """Hard NMS over candidates in visiting order: a candidate is kept when its IoU with every
    kept box is below the threshold. Candidates go in blocks: one array step drops those a kept
    box suppresses, then the block's survivors are settled among themselves from their IoU table."""
    kept: list[int] = []
    for start in range(0, len(order), block):
        if len(kept) >= max_out:
            break
        cand = order[start:start + block]
        if kept:
            kept_arr = np.array(kept)
            ok = np.ones(len(cand), bool)
            for k in range(0, len(kept_arr), 256):
                ok &= (_iou_table(corners, cand, kept_arr[k:k + 256]) < iou_threshold).all(axis=1)
            cand = cand[ok]
        if not cand.size:
            continue
        clear = (_iou_table(corners, cand, cand) < iou_threshold).tolist()
        chosen: list[int] = []
        for a in range(len(cand)):
            if all(clear[a][b] for b in chosen):
                chosen.append(a)
                if len(kept) + len(chosen) == max_out:
                    break
        kept.extend(int(cand[a]) for a in chosen)
    return np.array(kept, np.int32)


def _iou_table(corners, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """IoU of each box of ``rows`` with each of ``cols``; 0 where either box has no area."""
    y1, x1, y2, x2, area = corners
    r, c = rows[:, None], cols[None, :]
    ih = np.maximum(np.minimum(y2[r], y2[c]) - np.maximum(y1[r], y1[c]), 0.0)
    iw = np.maximum(np.minimum(x2[r], x2[c]) - np.maximum(x1[r], x1[c]), 0.0)
    inter = ih * iw
    with np.errstate(divide="ignore", invalid="ignore"):
        iou = inter / (area[r] + area[c] - inter)
    return np.where((area[r] <= 0) | (area[c] <= 0), 0.0, iou)


def _soft_nms(corners, s: np.ndarray, max_out: int, iou_threshold: float, score_threshold: float,
              sigma: float) -> tuple[np.ndarray, np.ndarray]:
    """Soft-NMS, step for step as TF.js: a candidate whose score decayed goes back into the
    queue (kept sorted ascending, popped from the end) and is compared again later only with
    boxes selected since."""
    scale = -0.5 / sigma
    # queue entries sort by (score, -index): equal scores pop the lower index first
    queue = sorted((float(s[i]), -int(i), 0) for i in np.nonzero(s > score_threshold)[0])
    selected: list[int] = []
    selected_scores: list[float] = []
    while len(selected) < max_out and queue:
        score, neg_index, begin = queue.pop()
        index = -neg_index
        original = score
        if original < score_threshold:
            break
        suppressed = False
        for j in range(len(selected) - 1, begin - 1, -1):
            iou = float(_iou_table(corners, np.array([index]), np.array([selected[j]]))[0, 0])
            if iou >= iou_threshold:
                suppressed = True
                break
            if iou <= iou_threshold:
                score *= math.exp(scale * iou * iou)
            else:
                score = 0.0
            if score <= score_threshold:
                break
        if suppressed:
            continue
        if score == original:
            selected.append(index)
            selected_scores.append(score)
        elif score > score_threshold:
            bisect.insort_left(queue, (score, -index, len(selected)))
    return np.array(selected, np.int32), np.array(selected_scores, np.float32)


def where(p: Params, ctx: ExecutionContext) -> np.ndarray:
    """Coordinates of the true (non-zero) elements, row-major, as int32 [n, rank]."""
    condition = np.asarray(p.condition)
    return np.argwhere(condition != 0 if condition.dtype != np.bool_ else condition).astype(np.int32)


def list_diff(p: Params, ctx: ExecutionContext) -> list[np.ndarray]:
    """Elements of x not in y, in x's order with repeats, and their positions in x."""
    x, y = np.asarray(p.x), np.asarray(p.y)
    if x.dtype != y.dtype:
        raise TypeError(f"x and y must have the same dtype, got {x.dtype} and {y.dtype}")
    if x.ndim != 1 or y.ndim != 1:
        raise ValueError(f"x and y must be 1-D, got shapes {list(x.shape)} and {list(y.shape)}")
    keep = ~np.isin(x, y)
    if x.dtype.kind == "f" and np.isnan(y).any():  # a JS Set finds NaN
        keep &= ~np.isnan(x)
    return [x[keep], np.nonzero(keep)[0].astype(np.int32)]


EXECUTORS: dict[str, Executor] = {
    "NonMaxSuppressionV2": nms_v2, "NonMaxSuppressionV3": nms_v3, "NonMaxSuppressionV4": nms_v4,
    "NonMaxSuppressionV5": nms_v5, "Where": where, "ListDiff": list_diff,
}
