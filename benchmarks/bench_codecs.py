"""Measure size and speed of every compression option on realistic pixels.

    .venv/bin/python benchmarks/bench_codecs.py [--quick]

Data (benchmarks/slide_data.py): a brightfield slide (RGB uint8, ~2/3 glass with
sensor noise, tissue from skimage's ihc.png) sampled as 1024x1024 chunks at positions
spread over a 199680 x 90112 slide, and a fluorescence-like uint16 stack (dark,
sparse bright blobs). Each chunk is compressed on its own, single-threaded (Blosc's
internal threads off), exactly as the writer's codecs do inside a shard.

Prints, per dataset: compressed size, ratio (uncompressed / compressed), size and
encode time relative to the historical default ``blosc-lz4:5``, encode and decode
throughput (MB/s of raw pixels, one core). Then the empty-chunk measurement: how many
chunks hold one exact value (unscanned slide areas, zero-padded planes) and what
skipping them (``write_empty_chunks=False``) saves.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from slide_data import FluorescenceSource, SlideSource  # noqa: E402
from omero_cli_ngff.ngff.codecs import v2_compressor  # noqa: E402

BASELINE = "blosc-lz4:5 (zarr default)"
CONFIGS = [
    ("blosc-lz4", 1), ("blosc-lz4", 5), ("blosc-lz4", 9),
    ("blosc-zstd", 1), ("blosc-zstd", 2), ("blosc-zstd", 3), ("blosc-zstd", 5),
    ("zstd", 1), ("zstd", 3), ("zstd", 5), ("zstd", 9),
    ("gzip", 1), ("gzip", 6),
    ("none", None),
]
CHUNK = 1024


def slide_chunks(n: int, seed: int = 0, unscanned: float = 0.0):
    src = SlideSource(90112, 199680, seed=seed, unscanned=unscanned)
    rng = np.random.default_rng(1234)
    out = []
    for _ in range(n):
        y = int(rng.integers(0, 90112 // CHUNK)) * CHUNK
        x = int(rng.integers(0, 199680 // CHUNK)) * CHUNK
        rgb = src.rgb(y, x, CHUNK, CHUNK)
        out.extend(np.ascontiguousarray(rgb[..., c]) for c in range(3))
    return out


def fluo_chunks(n: int):
    src = FluorescenceSource(8192, 8192, size_c=2, size_z=8)
    rng = np.random.default_rng(99)
    out = []
    for _ in range(n):
        y = int(rng.integers(0, 8)) * CHUNK
        x = int(rng.integers(0, 8)) * CHUNK
        c, z = int(rng.integers(0, 2)), int(rng.integers(0, 8))
        out.append(src.read(0, 0, c, z, y, x, CHUNK, CHUNK))
    return out


def historical_default(dtype):
    """What zarr-python / ome-zarr-py wrote by default: Blosc lz4:5, byte shuffle,
    automatic block size."""
    import numcodecs

    return numcodecs.Blosc(cname="lz4", clevel=5, shuffle=numcodecs.Blosc.SHUFFLE)


def measure(chunks, name, level):
    if name == BASELINE:
        codec = historical_default(chunks[0].dtype)
    else:
        codec = v2_compressor(name, level, chunks[0].dtype)
    raw = sum(c.nbytes for c in chunks)
    if codec is None:
        return raw, raw, float("inf"), float("inf")
    best_enc = best_dec = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        enc = [codec.encode(c) for c in chunks]
        t1 = time.perf_counter()
        for e in enc:
            codec.decode(e)
        t2 = time.perf_counter()
        best_enc, best_dec = min(best_enc, t1 - t0), min(best_dec, t2 - t1)
        if t2 - t0 > 3:      # slow codecs: one timing is enough
            break
    size = sum(len(e) for e in enc)
    return raw, size, raw / best_enc / 1e6, raw / best_dec / 1e6


def table(title, chunks):
    print(f"\n## {title}: {len(chunks)} chunks of {CHUNK}x{CHUNK} {chunks[0].dtype}, "
          f"{sum(c.nbytes for c in chunks) / 2**20:.0f} MiB raw\n")
    rows = []
    for name, level in [(BASELINE, None)] + CONFIGS:
        raw, size, enc, dec = measure(chunks, name, level)
        rows.append((name if level is None else f"{name}:{level}", raw, size, enc, dec))
    base = rows[0]
    print(f"| {'codec':<26} | {'MiB':>7} | {'ratio':>6} | {'size vs lz4':>11} | "
          f"{'enc MB/s':>8} | {'enc time vs lz4':>15} | {'dec MB/s':>8} |")
    print("|" + "---|" * 7)
    for label, raw, size, enc, dec in rows:
        enc_rel = (base[3] / enc) if enc != float("inf") else 0.0
        print(f"| {label:<26} | {size / 2**20:7.2f} | {raw / size:6.2f} | {size / base[2]:11.3f} | "
              f"{enc:8.0f} | {enc_rel:15.2f} | {dec:8.0f} |")
    return rows


def empty_chunks(title, chunks, fill, name="blosc-zstd", level=1):
    codec = v2_compressor(name, level, chunks[0].dtype)
    empty = [c for c in chunks if (c == fill).all()]
    t0 = time.perf_counter()
    for c in chunks:
        (c == fill).all()
    check = time.perf_counter() - t0
    total = sum(len(codec.encode(c)) for c in chunks)
    saved = sum(len(codec.encode(c)) for c in empty)
    print(f"| {title:<44} | {len(empty):>4}/{len(chunks):<4} | {saved / 2**10:9.1f} | "
          f"{100 * saved / total:5.2f}% | {1e3 * check / len(chunks):7.3f} |")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer chunks (a smoke run)")
    args = ap.parse_args()
    import numcodecs.blosc as nb

    nb.use_threads = False
    nb.set_nthreads(1)
    n = 4 if args.quick else 12
    t0 = time.time()
    slide = slide_chunks(n)
    fluo = fluo_chunks(2 * n)
    print(f"(data generated in {time.time() - t0:.0f} s)")
    table("Brightfield slide (RGB uint8, ~2/3 glass)", slide)
    table("Fluorescence (uint16, sparse bright blobs)", fluo)

    print("\n## Empty chunks (write_empty_chunks=False with a fill value), blosc-zstd:1\n")
    print(f"| {'data / fill value':<44} | {'empty':>9} | {'KiB saved':>9} | {'saved':>6} | {'check ms':>7} |")
    print("|" + "---|" * 5)
    empty_chunks("slide, noisy glass / fill 0", slide, 0)
    empty_chunks("slide, noisy glass / fill 255", slide, 255)
    blank = slide_chunks(n, unscanned=0.5)
    empty_chunks("slide, 50% of glass unscanned (255) / fill 255", blank, 255)
    empty_chunks("slide, 50% of glass unscanned (255) / fill 0", blank, 0)
    padded = [np.zeros_like(fluo[0])] * (n // 2) + fluo
    empty_chunks("fluorescence + zero planes / fill 0", padded, 0)


if __name__ == "__main__":
    main()
