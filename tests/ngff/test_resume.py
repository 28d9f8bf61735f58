"""Interrupted writes (a failing source, a real kill -9) resume to the same content as
an uninterrupted write: the same objects, byte for byte, except that inside a shard the
chunks lie in the order they were finished (the shard index says where), so shards are
compared chunk by chunk; nothing looks complete before it is."""

import json
import os
import random
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import zarr

from omero_cli_ngff.ngff import (
    ImageSpec,
    TargetExistsError,
    WriteOptions,
    read_level,
    validate,
    write_image,
)
from omero_cli_ngff.ngff.sources import ArraySource

SHAPE = (1, 2, 1, 1000, 700)


def make_array():
    return np.random.default_rng(0).integers(0, 4000, size=SHAPE, dtype=np.uint16)


def make_spec():
    t, c, z, y, x = SHAPE
    return ImageSpec("resume", "uint16", size_x=x, size_y=y, size_c=c, size_z=z, size_t=t)


def make_opts(version="0.5", interval=0.0, **kw):
    return WriteOptions(ngff_version=version, chunk_size=128, shard_size=256, workers=3,
                        min_level_size=64, record_interval=interval, **kw)


def shard_chunks(path, rel, data):
    """A shard object as its chunks' bytes in index order (None: absent chunk)."""
    with open(os.path.join(path, rel.split("/c/")[0], "zarr.json")) as fh:
        meta = json.load(fh)
    shard = meta["chunk_grid"]["configuration"]["chunk_shape"]
    inner = meta["codecs"][0]["configuration"]["chunk_shape"]
    n = int(np.prod([s // c for s, c in zip(shard, inner)]))
    index = np.frombuffer(data[-(16 * n + 4):-4], "<u8").reshape(n, 2)
    return tuple(None if off == 2 ** 64 - 1 else data[off:off + size] for off, size in index)


def tree(path):
    out = {}
    for d, _, files in os.walk(path):
        for f in files:
            p = os.path.join(d, f)
            rel = os.path.relpath(p, path)
            with open(p, "rb") as fh:
                data = fh.read()
            out[rel] = shard_chunks(path, rel, data) if "/c/" in rel else data
    return out


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    refs = {}
    for version in ("0.5", "0.4"):
        d = str(tmp_path_factory.mktemp("ref") / f"ref{version}")
        write_image(d, make_spec(), ArraySource(make_array(), (128, 128)), make_opts(version))
        refs[version] = tree(d)
    return refs


def tiles_of_unrecorded_shards(path):
    """Source tiles (128 x 128, one channel) under the full-resolution shards that the
    resume record does not list as written: what a resume must read."""
    from zarr.storage import LocalStore

    from omero_cli_ngff.ngff.record import ResumeRecord
    record = ResumeRecord(LocalStore(path), "")
    level = record.read_plan()["levels"][0]
    done = {key[1:] for key in record.load() if key[0] == 0}
    (st, sc, sz, sy, sx), (t, c, z, y, x) = level["shards"], level["shape"]
    tiles = 0
    for ti, ci, zi, row, col in np.ndindex(-(-t // st), -(-c // sc), -(-z // sz),
                                           -(-y // sy), -(-x // sx)):
        if (ti, ci, zi, row, col) in done:
            continue
        planes = min(st, t - ti * st) * min(sc, c - ci * sc) * min(sz, z - zi * sz)
        rows, cols = min(sy, y - row * sy), min(sx, x - col * sx)
        tiles += planes * -(-rows // 128) * -(-cols // 128)
    return tiles


def looks_complete(path):
    try:
        attrs = dict(zarr.open_group(path, mode="r").attrs)
    except Exception:
        return False
    return "multiscales" in attrs.get("ome", attrs)


@pytest.mark.parametrize("version", ["0.5", "0.4"])
@pytest.mark.parametrize("fail_after", [5, 40, 70])
def test_failing_source_then_resume(tmp_path, reference, version, fail_after):
    dest = str(tmp_path / "img")
    arr = make_array()
    with pytest.raises(RuntimeError, match="simulated"):
        write_image(dest, make_spec(), ArraySource(arr, (128, 128), fail_after=fail_after),
                    make_opts(version))
    assert not looks_complete(dest)
    assert validate(dest) != []
    assert os.path.isdir(os.path.join(dest, ".ngff-progress"))
    unrecorded = tiles_of_unrecorded_shards(dest)
    src = ArraySource(arr, (128, 128))
    res = write_image(dest, make_spec(), src, make_opts(version))
    assert res.resumed
    assert src.reads == unrecorded            # recorded shards are never read again
    if fail_after >= 40:                      # 1000x700 in 128 tiles, 2 channels: 96
        assert unrecorded < 2 * 8 * 6         # shards were recorded before the failure
    assert tree(dest) == reference[version]
    assert validate(dest, version) == []


def test_rerun_with_other_settings_is_refused(tmp_path):
    dest = str(tmp_path / "img")
    arr = make_array()
    with pytest.raises(RuntimeError):
        write_image(dest, make_spec(), ArraySource(arr, (128, 128), fail_after=10), make_opts())
    with pytest.raises(TargetExistsError, match="interrupted"):
        write_image(dest, make_spec(), ArraySource(arr, (128, 128)), make_opts(compression="gzip"))
    # a different worker count or budget resumes with the recorded layout
    res = write_image(dest, make_spec(), ArraySource(arr, (128, 128)),
                      WriteOptions(chunk_size=128, workers=1, min_level_size=64,
                                   memory_budget=2 ** 28))
    assert res.resumed and res.shard_shapes[0] == (1, 2, 1, 256, 256)
    res = write_image(dest, make_spec(), ArraySource(arr, (128, 128)),
                      make_opts(compression="gzip", overwrite=True))
    assert not res.resumed and validate(dest) == []


def test_interrupt_with_batched_record_rewrites_only_the_tail(tmp_path, reference):
    dest = str(tmp_path / "img")
    arr = make_array()
    with pytest.raises(RuntimeError):
        write_image(dest, make_spec(), ArraySource(arr, (128, 128), fail_after=60),
                    make_opts(interval=3600))
    # the record is flushed when the write stops, so the rerun skips what was done
    src = ArraySource(arr, (128, 128))
    write_image(dest, make_spec(), src, make_opts(interval=3600))
    assert src.reads < 96
    assert tree(dest) == reference["0.5"]


CHILD = textwrap.dedent("""
    import os, signal, sys
    import numpy as np
    from zarr.storage import LocalStore, WrapperStore
    sys.path.insert(0, {repo!r})
    from tests.ngff.test_resume import make_array, make_spec, make_opts
    from omero_cli_ngff.ngff import write_image
    from omero_cli_ngff.ngff.sources import ArraySource

    kill_at, version, interval = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
    count = [0]

    class KillingStore(WrapperStore):
        async def set(self, key, value):
            count[0] += 1
            if count[0] == kill_at:
                os.kill(os.getpid(), signal.SIGKILL)
            await self._store.set(key, value)

    store = KillingStore(LocalStore(sys.argv[4]))
    write_image(store, make_spec(), ArraySource(make_array(), (128, 128)),
                make_opts(version, interval))
    print("finished")
""")


def count_writes(tmp_path, version, interval):
    """How many store writes an uninterrupted write makes (the range to kill in)."""
    from zarr.storage import LocalStore, WrapperStore

    n = [0]

    class Counting(WrapperStore):
        async def set(self, key, value):
            n[0] += 1
            await self._store.set(key, value)

    write_image(Counting(LocalStore(str(tmp_path / "count"))), make_spec(),
                ArraySource(make_array(), (128, 128)), make_opts(version, interval))
    return n[0]


@pytest.mark.parametrize("version,interval,seed", [("0.5", 0.0, 1), ("0.5", 0.0, 2),
                                                   ("0.5", 2.0, 3), ("0.4", 0.0, 4)])
def test_kill_9_then_resume(tmp_path, reference, version, interval, seed):
    total = count_writes(tmp_path, version, interval)
    kill_at = random.Random(seed).randint(2, total)
    dest = str(tmp_path / "img")
    script = CHILD.format(repo=str(Path(__file__).resolve().parents[2]))
    proc = subprocess.run([sys.executable, "-c", script, str(kill_at), version, str(interval),
                           dest], capture_output=True, text=True, timeout=120)
    assert proc.returncode == -9, proc.stderr[-2000:]
    if looks_complete(dest):            # killed after the metadata: the record says not done
        assert os.path.isdir(os.path.join(dest, ".ngff-progress")) or kill_at == total
    res = write_image(dest, make_spec(), ArraySource(make_array(), (128, 128)),
                      make_opts(version, interval))
    assert res.resumed or res.already_complete
    assert tree(dest) == reference[version]
    assert validate(dest, version) == []
    assert np.array_equal(read_level(dest, 0), make_array())


@pytest.mark.parametrize("fail_after", [20, 100, 115])
def test_resume_with_source_levels(tmp_path, fail_after):
    arr = make_array()
    lvl1 = np.random.default_rng(5).integers(0, 4000, size=SHAPE[:3] + (500, 350), dtype=np.uint16)
    ref = str(tmp_path / "ref")
    write_image(ref, make_spec(), ArraySource(arr, (128, 128), pyramid=[lvl1]), make_opts())
    dest = str(tmp_path / "img")
    with pytest.raises(RuntimeError):
        write_image(dest, make_spec(), ArraySource(arr, (128, 128), pyramid=[lvl1],
                                                   fail_after=fail_after), make_opts())
    res = write_image(dest, make_spec(), ArraySource(arr, (128, 128), pyramid=[lvl1]), make_opts())
    assert res.resumed and res.levels_from_source == (0, 1)
    assert tree(dest) == tree(ref)


def test_kill_while_deleting_the_record(tmp_path, reference):
    dest = str(tmp_path / "img")
    write_image(dest, make_spec(), ArraySource(make_array(), (128, 128)), make_opts())
    os.makedirs(os.path.join(dest, ".ngff-progress"))
    with open(os.path.join(dest, ".ngff-progress", "done-1-x-000001.txt"), "w") as f:
        f.write("0/0/0/0/0/0\n")
    assert validate(dest) != []
    src = ArraySource(make_array(), (128, 128))
    res = write_image(dest, make_spec(), src, make_opts())
    assert res.already_complete and src.reads == 0
    assert tree(dest) == reference["0.5"] and validate(dest) == []
