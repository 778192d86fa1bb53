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


def _greedy(corners, order: np.ndarray, max_out: int, iou_threshold: float, block: int = 64) -> np.ndarray:
    """Hard NMS over candidates in visiting order: a candidate is kept unless its IoU with a kept
    box is at least the threshold. Candidates go in blocks of consecutive ones: one array step
    drops those a kept box suppresses, then the block's survivors are settled among themselves
    from their IoU table. The boxes are put in visiting order once, so a block is a slice."""
    if max_out <= 0 or not len(order):
        return np.zeros(0, np.int32)
    boxes = np.stack(corners)[:, order]  # (5, n): y1, x1, y2, x2, area of each candidate, in order
    kept = np.empty(max_out, np.intp)  # positions in ``order``
    kept_boxes = np.empty((5, max_out))
    flat = bool((boxes[4] <= 0).any())  # any box without area (its IoU with every box is 0)
    count = 0
    with np.errstate(divide="ignore", invalid="ignore"):
        for start in range(0, len(order), block):
            cand = boxes[:, start:start + block]
            pos = np.arange(start, start + cand.shape[1])
            if count:
                ok = ~(_iou_rows(cand, kept_boxes[:, :count], flat) >= iou_threshold).any(axis=1)
                pos, cand = pos[ok], cand[:, ok]
            if not pos.size:
                continue
            suppresses = _iou_rows(cand, cand, flat) >= iou_threshold
            dead = np.zeros(pos.size, bool)
            for a in range(pos.size):
                if dead[a]:
                    continue
                kept[count] = pos[a]
                kept_boxes[:, count] = cand[:, a]
                count += 1
                if count == max_out:
                    return order[kept[:count]].astype(np.int32)
                dead |= suppresses[a]
    return order[kept[:count]].astype(np.int32)


def _iou_rows(a: np.ndarray, b: np.ndarray, flat: bool = True) -> np.ndarray:
    """IoU of each box (column) of ``a`` with each of ``b``, both (5, n) as y1, x1, y2, x2, area;
    0 where either box has no area (TF.js's intersectionOverUnion; ``flat``: there may be such)."""
    ih = np.minimum(a[2, :, None], b[2]) - np.maximum(a[0, :, None], b[0])
    iw = np.minimum(a[3, :, None], b[3]) - np.maximum(a[1, :, None], b[1])
    np.maximum(ih, 0.0, out=ih)
    np.maximum(iw, 0.0, out=iw)
    inter = np.multiply(ih, iw, out=ih)
    iou = inter / (a[4, :, None] + b[4] - inter)
    if flat:
        iou[(a[4] <= 0)[:, None] | (b[4] <= 0)] = 0.0
    return iou


def _soft_nms(corners, s: np.ndarray, max_out: int, iou_threshold: float, score_threshold: float,
              sigma: float) -> tuple[np.ndarray, np.ndarray]:
    """Soft-NMS, step for step as TF.js: a candidate whose score decayed goes back into the
    queue (kept sorted ascending, popped from the end) and is compared again later only with
    boxes selected since."""
    scale = -0.5 / sigma
    boxes = np.stack(corners)
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
            other = selected[j]
            with np.errstate(divide="ignore", invalid="ignore"):
                iou = float(_iou_rows(boxes[:, index:index + 1], boxes[:, other:other + 1])[0, 0])
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
