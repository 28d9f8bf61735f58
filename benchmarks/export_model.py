"""The read ceiling of the dev server's decode cost model, and the targets of issue #16.

Pure functions of the catalogue and of measured runs (no server, no processes), used by
``bench_export.py``.

Ceiling: the writer reads, for every level the server offers that the plan reads from
it, each chunk (1024 x 1024) in the server's own tiles of that level, or whole (the
adaptive readers do when that measures cheaper: ``ngff.request_size``); under the model
a read holds one of ``cores`` slots for ``call_ms + ms_per_mpx * pixels / 1e6``. With
every slot always busy the export cannot be faster than ``sum(costs) / cores`` seconds
for the cheaper of the two ways: that is the ceiling.
"""

from __future__ import annotations

from dataclasses import dataclass

from omero_cli_ngff.ngff.layout import level_sizes
from test_infra.omero_devserver import pixel_buffers as pb

CHUNK = 1024
MIN_LEVEL_SIZE = 256


@dataclass(frozen=True)
class Model:
    cores: int
    call_ms: float = 5.0
    ms_per_mpx: float = 40.0

    def cost_ms(self, pixels: int) -> float:
        return self.call_ms + self.ms_per_mpx * pixels / 1e6

    @property
    def label(self) -> str:
        return f"{self.cores} cores, {self.call_ms:g} ms/call + {self.ms_per_mpx:g} ms/Mpx"


def _reads(size: int, chunk: int, tile: int) -> list[int]:
    """Lengths of the reads along one axis: each chunk cut at the tile boundaries."""
    out = []
    for c0 in range(0, size, chunk):
        c1 = min(c0 + chunk, size)
        for t0 in range((c0 // tile) * tile, c1, tile):
            out.append(min(t0 + tile, c1) - max(t0, c0))
    return out


def _level_ms(ly: int, lx: int, th: int, tw: int, model: Model) -> float:
    ys, xs = _reads(ly, CHUNK, th), _reads(lx, CHUNK, tw)
    return sum(model.cost_ms(h * w) for h in ys for w in xs)


def slot_seconds(pix, model: Model) -> float:
    """Seconds of decode slots the writer's reads of one image take (all planes)."""
    src = [(y, x) for x, y in pix.level_sizes]
    planes = pix.size_z * pix.size_c * pix.size_t
    total_ms = 0.0
    for ly, lx, level in level_sizes(pix.size_y, pix.size_x, MIN_LEVEL_SIZE, src):
        if level is None:
            continue
        tw, th = pb.level_tile(pix.tile_sizes, pix.level_sizes[level], level)
        total_ms += min(_level_ms(ly, lx, th, tw, model), _level_ms(ly, lx, CHUNK, CHUNK, model))
    return planes * total_ms / 1000.0


def ceiling_seconds(pixels_records, model: Model) -> float:
    return sum(slot_seconds(p, model) for p in pixels_records) / model.cores


def attainable_seconds(ceiling_s: float, cpu_s: float, client_cores: int) -> float:
    """The least time the export could take: the server's ceiling or the client's own
    CPU bound (its CPU seconds spread over every client core), whichever is longer."""
    return max(ceiling_s, cpu_s / max(1, client_cores))


def check(name: str, value: float, target: float, what: str) -> dict:
    return {"target": name, "value": round(value, 3), "wanted": target, "what": what,
            "met": bool(value >= target)}


def zarr_factor(cores: int) -> float:
    """How many times omero-cli-zarr's rate the default export must reach (#16)."""
    return 5.0 if cores >= 16 else 3.0
