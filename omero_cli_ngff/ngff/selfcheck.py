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
from zarr.core.buffer import Buffer
from zarr.storage import MemoryStore

from .spec import ImageSpec, Progress, WriteOptions, WriteResult
from .store import Dest
from .writer import write_image


class SyntheticSource:
    """uint8 planes: a near-white level with structure and +-2 noise, periodic over
    1024 pixels (any tiling gives the same pixels; a tile costs a copy)."""

    def __init__(self, size_y: int, size_x: int, tile: tuple[int, int] = (1024, 1024),
                 latency: float = 0.0) -> None:
        self.levels = [(size_y, size_x)]
        self.tile_size = tile
        self.latency = latency
        rng = np.random.default_rng(0)
        yy, xx = np.mgrid[0:2048, 0:2048]
        base = 235 - 30 * (((yy // 97) + (xx // 131)) % 3 == 0)
        self._pattern = (base + rng.integers(-2, 3, size=(2048, 2048))).astype(np.uint8)

    def read(self, level: int, t: int, c: int, z: int, y: int, x: int, h: int,
             w: int) -> np.ndarray:
        if self.latency:
            time.sleep(self.latency)
        oy, ox = y % 1024, x % 1024
        out: np.ndarray = self._pattern[oy:oy + h, ox:ox + w] - np.uint8(c)
        return out


class NullStore(MemoryStore):
    """Keeps the metadata and the resume record, discards the pixel data."""

    async def set(self, key: str, value: Buffer, byte_range: tuple[int, int] | None = None,
                  ) -> None:
        if (key.endswith(".json") or "/." in key or key.startswith(".")
                or "zarr.json" in key):
            await super().set(key, value)


class PeakRss:
    """The peak resident memory of this process, sampled every 0.1 s in a thread."""

    def __init__(self) -> None:
        import psutil

        self.process = psutil.Process()
        self.peak = self.rss()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def rss(self) -> int:
        rss: int = self.process.memory_info().rss
        return rss

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.rss())
            time.sleep(0.1)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--size", nargs=2, type=int, default=[100_000, 100_000], metavar=("Y", "X"))
    ap.add_argument("--channels", type=int, default=3)
    ap.add_argument("--dest", default=None, help="folder or URL (default: a temporary folder; "
                                                  "'null': discard)")
    ap.add_argument("--version", default="0.5")
    ap.add_argument("--workers", type=int, default=8)
    ap.add_argument("--budget-mib", type=int, default=1024)
    ap.add_argument("--latency-ms", type=float, default=0.0)
    ap.add_argument("--compression", default="blosc-zstd")
    return ap.parse_args(argv)


def _destination(arg: str | None) -> tuple[Dest, str | None]:
    """(where to write, a temporary folder to delete afterwards or None)."""
    if arg == "null":
        return NullStore(), None
    if arg is None:
        tmp = tempfile.mkdtemp(prefix="ngff-selfcheck-")
        return tmp + "/img.ome.zarr", tmp
    return arg, None


def _report(args: argparse.Namespace, res: WriteResult, secs: float, peak: int) -> None:
    y, x = args.size
    raw = y * x * args.channels
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(f"image {y} x {x} x {args.channels} uint8 ({raw / 2**30:.1f} GiB raw), "
          f"NGFF {args.version}, workers {args.workers}, budget {args.budget_mib} MiB")
    print(f"levels {len(res.level_shapes)}, shard {res.shard_shapes[0]}, "
          f"objects {res.objects_written}, written {res.bytes_written / 2**30:.2f} GiB "
          f"in {secs:.0f} s ({raw / secs / 2**20:.0f} MiB/s of level-0 pixels)")
    print(f"peak RSS: sampled {peak / 2**20:.0f} MiB, getrusage {maxrss / 2**20:.0f} MiB")


def main(argv: list[str] | None = None) -> None:
    args = _arguments(argv)
    memory = PeakRss()
    dest, tmp = _destination(args.dest)
    y, x = args.size
    spec = ImageSpec("selfcheck", "uint8", size_x=x, size_y=y, size_c=args.channels)
    src = SyntheticSource(y, x, latency=args.latency_ms / 1000)
    opts = WriteOptions(ngff_version=args.version, workers=args.workers, overwrite=True,
                        memory_budget=args.budget_mib * 2 ** 20, compression=args.compression)
    last = [0.0]

    def progress(p: Progress) -> None:
        now = time.time()
        if now - last[0] > 10:
            last[0] = now
            print(f"  {100 * p.pixels_done / p.pixels_total:5.1f}%  "
                  f"rss {memory.rss() / 2**20:7.0f} MiB", flush=True)

    memory.start()
    t0 = time.time()
    try:
        res = write_image(dest, spec, src, opts, progress)
    finally:
        memory.stop()
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    _report(args, res, time.time() - t0, memory.peak)


if __name__ == "__main__":
    main()
