"""What do ROIs and annotations cost at project scale? Reading them for 1,000 images of
30 ROIs each (10 masks of 512 x 512 among them), and writing their labels.

    .venv/bin/python benchmarks/bench_rois.py [--label-images 20] [--budget-mib 16]

Catalogue: test_infra/catalogues/bench_rois.yaml on the dev server (8192 x 6144 RGB
slides, 5 levels; Key-Value pairs, a comment, a rating and a shared tag on each).
Reading runs the plugin's reader (omero_io.image_metadata.MetadataReader) as export and
publish do: planned for the whole project, then each image's metadata asked for in
turn. Label writing runs ngff.labels.write_labels for the first --label-images images
into a local folder, with the image's five levels. Prints queries (the dev server's log
and the plugin's count), seconds, and peak memory (Python allocations, tracemalloc;
numpy's buffers included).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

IMAGES = 1000
LEVELS = ((6144, 8192), (3072, 4096), (1536, 2048), (768, 1024), (384, 512))


def read_all(server, budget: int) -> tuple[dict, list]:
    """Every image's metadata, as export reads it; (figures, the first images' ROIs)."""
    from omero_cli_ngff.omero_io.image_metadata import MetadataReader
    from omero_cli_ngff.omero_io.query import QueryRunner

    conn = server.connect("alice")
    try:
        before = server.query_count()
        tracemalloc.start()
        start = time.perf_counter()
        runner = QueryRunner(conn)
        reader = MetadataReader(runner, list(range(1, IMAGES + 1)), budget=budget)
        kept: list = []
        rois = shapes = 0
        for image_id in range(1, IMAGES + 1):
            meta = reader.get(image_id)
            rois += len(meta.rois)
            shapes += sum(len(r.shapes) for r in meta.rois)
            if len(kept) < 50:
                kept.append(meta.rois)
        seconds = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        figures = {"what": f"read ROIs + annotations of {IMAGES} images",
                   "queries": server.query_count() - before, "plugin": runner.calls,
                   "rois": rois, "shapes": shapes, "seconds": seconds, "peak": peak}
        return figures, kept
    finally:
        conn.close()


def write_some(rois_per_image: list, count: int, folder: Path) -> dict:
    """The labels of `count` images, written as export writes them."""
    from zarr.storage import LocalStore

    from omero_cli_ngff.ngff import ImageSpec, WriteOptions
    from omero_cli_ngff.ngff.labels import write_labels
    from omero_cli_ngff.ngff.spec import WriteResult

    spec = ImageSpec(name="slide", dtype="uint8", size_x=8192, size_y=6144, size_c=3)
    image = WriteResult(url="", ngff_version="0.5",
                        level_shapes=tuple((1, 3, 1, y, x) for y, x in LEVELS),
                        chunk_shapes=(), shard_shapes=(), objects_written=0,
                        bytes_written=0, seconds=0.0)
    options = WriteOptions(workers=4)
    objects = written = 0
    tracemalloc.start()
    start = time.perf_counter()
    for i, rois in enumerate(rois_per_image[:count]):
        store = LocalStore(str(folder / f"{i}.zarr"))
        result = write_labels(store, str(folder), "0", spec, image, rois,
                              ("Rectangle", "Ellipse", "Polygon", "Mask"), options)
        objects += result.result.objects_written
        written += result.result.bytes_written
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {"what": f"write labels of {count} images (5 levels each)", "queries": 0,
            "plugin": 0, "rois": sum(len(r) for r in rois_per_image[:count]),
            "shapes": objects, "seconds": seconds, "peak": peak, "bytes": written}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--label-images", type=int, default=20)
    parser.add_argument("--budget-mib", type=int, default=16)
    args = parser.parse_args(argv)

    from rich.console import Console
    from rich.table import Table

    from test_infra.omero_fixtures import start_devserver

    work = Path(tempfile.mkdtemp(prefix="bench-rois-"))
    os.environ["OMERO_SESSIONDIR"] = str(work / "sessions")
    t0 = time.perf_counter()
    server = start_devserver(work / "state", catalogue="bench_rois.yaml", read_only=True)
    startup = time.perf_counter() - t0
    try:
        reading, kept = read_all(server, args.budget_mib * 1024 ** 2)
    finally:
        server.stop()
    writing = write_some(kept, args.label_images, work / "labels")
    shutil.rmtree(work, ignore_errors=True)

    table = Table(title=f"ROIs and annotations: {IMAGES} images x 30 ROIs (10 masks of "
                        f"512 x 512), batches of {args.budget_mib} MiB (dev server "
                        f"started in {startup:.1f} s)")
    for column in ("run", "queries (server)", "queries (plugin)", "ROIs",
                   "shapes / objects", "seconds", "per image", "peak MiB"):
        table.add_column(column, justify="left" if column == "run" else "right")
    for row, n in ((reading, IMAGES), (writing, args.label_images)):
        table.add_row(row["what"], str(row["queries"]), str(row["plugin"]), str(row["rois"]),
                      str(row["shapes"]), f"{row['seconds']:.1f}",
                      f"{row['seconds'] / max(1, n) * 1000:.0f} ms",
                      f"{row['peak'] / 1024 ** 2:.0f}")
    Console(width=150).print(table)
    print(f"labels: {writing['bytes'] / max(1, args.label_images) / 1024:.0f} KiB per image")


if __name__ == "__main__":
    main()
