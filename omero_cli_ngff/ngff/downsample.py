"""2x2 mean downsampling of one plane region, exact for every numpy pixel type.

Output size is ceil(h/2) x ceil(w/2): an odd last row/column is averaged with itself
(edge replication), so no pixel of the image is dropped. Integers are summed in a
wide enough accumulator (no overflow, 64-bit types included) and the exact mean is
rounded half to even, i.e. the result equals ``np.rint`` of the exact mean. Floats
average in float64 (float32 for float16) and are cast back.

Regions handed to this function by the writer start at even coordinates, so
downsampling shard by shard gives the same pixels as downsampling the whole plane.
"""

from __future__ import annotations

import numpy as np

_ACC = {
    np.dtype("uint8"): np.uint16, np.dtype("int8"): np.int16,
    np.dtype("uint16"): np.uint32, np.dtype("int16"): np.int32,
    np.dtype("uint32"): np.uint64, np.dtype("int32"): np.int64,
}


def _pad_even(a: np.ndarray) -> np.ndarray:
    h, w = a.shape
    if h % 2 == 0 and w % 2 == 0:
        return a
    return np.pad(a, ((0, h % 2), (0, w % 2)), mode="edge")


def _round_quarter(q: np.ndarray, r: np.ndarray) -> np.ndarray:
    """floor(s / 4) and s mod 4 -> round-half-even(s / 4), in q's type."""
    q += ((r > 2) | ((r == 2) & ((q & 1) == 1))).astype(q.dtype)
    return q


def downsample_mean2(a: np.ndarray) -> np.ndarray:
    """(h, w) plane region -> (ceil(h/2), ceil(w/2)) of the same dtype."""
    if a.ndim != 2:
        raise ValueError(f"expected a 2D region, got shape {a.shape}")
    dt = a.dtype
    a = _pad_even(a)
    h, w = a.shape
    v = a.reshape(h // 2, 2, w // 2, 2)
    if dt.kind == "f":
        acc = np.float32 if dt.itemsize < 4 else np.float64
        return (v.sum(axis=(1, 3), dtype=acc) / 4).astype(dt)
    if dt == np.bool_:
        return (v.sum(axis=(1, 3), dtype=np.uint8) >= 2)
    if dt in _ACC:
        s = v.sum(axis=(1, 3), dtype=_ACC[dt])
        return _round_quarter(s >> 2, s & 3).astype(dt)
    if dt.kind in "iu":
        # 64-bit: sum quotients and remainders of /4 separately, no overflow possible
        q = (v >> 2).sum(axis=(1, 3), dtype=dt)
        r = (v & 3).sum(axis=(1, 3), dtype=dt)
        return _round_quarter(q + (r >> 2), r & 3).astype(dt)
    raise TypeError(f"cannot downsample pixel type {dt}")
