"""Peak memory and throughput of the writer on a synthetic image of any size.

    python -m omero_cli_ngff.ngff.selfcheck --size 100000 100000 --channels 3 \\
        --dest /tmp/big.ome.zarr --workers 8 --budget-mib 1024 [--latency-ms 50]

The synthetic source is cheap to compute (glass-like level with a little structure
and noise, so chunks are not trivially empty) and can simulate a network-bound source
(``--latency-ms`` per tile, like OMERO's RawPixelsStore). Peak RSS is sampled with
psutil every 0.1 s and taken from getrusage at the end. Run it on a deployment's
machine to size ``workers`` and ``memory_budget``; ``--dest null`` discards the
objects (measures the writer without the disk).
"""

from __future__ import annotations

import argparse
import resource
import shutil
import tempfile
import threading
import time

import numpy as np


class SyntheticSource:
    """uint8 planes: a near-white level with structure and +-2 noise, periodic over
    1024 pixels (any tiling gives the same pixels; a tile costs a copy)."""

    def __init__(self, size_y, size_x, tile=(1024, 1024), latency=0.0):
        self.levels = [(size_y, size_x)]
        self.tile_size = tile
        self.latency = latency
        rng = np.random.default_rng(0)
        yy, xx = np.mgrid[0:2048, 0:2048]
        base = 235 - 30 * (((yy // 97) + (xx // 131)) % 3 == 0)
        self._pattern = (base + rng.integers(-2, 3, size=(2048, 2048))).astype(np.uint8)

    def read(self, level, t, c, z, y, x, h, w):
        if self.latency:
            time.sleep(self.latency)
        oy, ox = y % 1024, x % 1024
        out = self._pattern[oy:oy + h, ox:ox + w] - np.uint8(c)
        return out


def main(argv=None):
    import psutil
    from zarr.storage import MemoryStore

    from .spec import ImageSpec, WriteOptions
    from .writer import write_image

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", nargs=2, type=int, default=[100_000, 100_000], metavar=("Y", "X"))
    ap.add_argument("--channels", type=int, default=3)
    ap.add_argument("--dest", default=None, help="folder or URL (default: a temporary folder; "
                                                  "'null': discard)")
    ap.add_argument("--version", default="0.5")
    ap.add_argument("--workers", type=int, default=8)
    ap.add_argument("--budget-mib", type=int, default=1024)
    ap.add_argument("--latency-ms", type=float, default=0.0)
    ap.add_argument("--compression", default="blosc-zstd")
    args = ap.parse_args(argv)

    proc = psutil.Process()
    peak = [proc.memory_info().rss]
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            peak[0] = max(peak[0], proc.memory_info().rss)
            time.sleep(0.1)

    tmp = None
    if args.dest == "null":
        class Null(MemoryStore):
            async def set(self, key, value, byte_range=None):
                if key.endswith(".json") or "/." in key or key.startswith(".") or "zarr.json" in key:
                    await super().set(key, value)
        dest = Null()
    elif args.dest is None:
        tmp = tempfile.mkdtemp(prefix="ngff-selfcheck-")
        dest = tmp + "/img.ome.zarr"
    else:
        dest = args.dest
    y, x = args.size
    spec = ImageSpec("selfcheck", "uint8", size_x=x, size_y=y, size_c=args.channels)
    src = SyntheticSource(y, x, latency=args.latency_ms / 1000)
    opts = WriteOptions(ngff_version=args.version, workers=args.workers, overwrite=True,
                        memory_budget=args.budget_mib * 2 ** 20, compression=args.compression)
    last = [0.0]

    def progress(p):
        now = time.time()
        if now - last[0] > 10:
            last[0] = now
            print(f"  {100 * p.pixels_done / p.pixels_total:5.1f}%  rss {proc.memory_info().rss / 2**20:7.0f} MiB",
                  flush=True)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    t0 = time.time()
    try:
        res = write_image(dest, spec, src, opts, progress)
    finally:
        stop.set()
        th.join()
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    secs = time.time() - t0
    raw = y * x * args.channels
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(f"image {y} x {x} x {args.channels} uint8 ({raw / 2**30:.1f} GiB raw), NGFF {args.version}, "
          f"workers {args.workers}, budget {args.budget_mib} MiB")
    print(f"levels {len(res.level_shapes)}, shard {res.shard_shapes[0]}, objects {res.objects_written}, "
          f"written {res.bytes_written / 2**30:.2f} GiB in {secs:.0f} s "
          f"({raw / secs / 2**20:.0f} MiB/s of level-0 pixels)")
    print(f"peak RSS: sampled {peak[0] / 2**20:.0f} MiB, getrusage {maxrss / 2**20:.0f} MiB")


if __name__ == "__main__":
    main()
