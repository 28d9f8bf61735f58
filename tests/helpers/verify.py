"""Test helpers for locate/verify: a local folder served over HTTP with Range support.

Python's SimpleHTTPRequestHandler ignores Range, and sharded Zarr v3 reads need byte
ranges (the shard index is read with a suffix range), so this one answers them.
"""

from __future__ import annotations

import os
import re
import threading
import warnings
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


class _RangeHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def send_head(self):
        path = self.translate_path(self.path)
        if os.path.isdir(path):
            self.send_error(404)
            return None
        try:
            f = open(path, "rb")  # noqa: SIM115 - the handler returns it to copy from
        except OSError:
            self.send_error(404)
            return None
        size = os.fstat(f.fileno()).st_size
        match = _RANGE.match(self.headers.get("Range", "").strip())
        if match and (match.group(1) or match.group(2)):
            first, last = match.group(1), match.group(2)
            if first == "":              # suffix range: the last N bytes
                start, end = max(0, size - int(last)), size - 1
            else:
                start, end = int(first), min(size - 1, int(last) if last else size - 1)
            if start >= size:
                self.send_error(416)
                f.close()
                return None
            f.seek(start)
            self._remaining = end - start + 1
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
            self.send_header("Content-Length", str(self._remaining))
        else:
            self._remaining = size
            self.send_response(200)
            self.send_header("Content-Length", str(size))
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()
        return f

    def copyfile(self, source, outputfile):
        outputfile.write(source.read(self._remaining))


class FolderServer:
    """Serve `root` at http://127.0.0.1:PORT/ in a thread (a context manager)."""

    def __init__(self, root):
        self.root = str(root)
        handler = lambda *a, **kw: _RangeHandler(*a, directory=self.root, **kw)  # noqa: E731
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def start(self) -> FolderServer:
        self.thread.start()
        return self

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def write_copy(root, name: str, data, version: str = "0.5", pixel_size=(0.5, 0.5),
               chunks=(32, 32), levels: int = 2, z_size: float = 1.0) -> str:
    """Write `data` (t, c, z, y, x) as an OME-Zarr image `root/name` (or into the zarr
    store `root`); the folder path (None for a store).

    ome-zarr-py writes it (independent of the plugin's own writer, so that the checks are
    tested against another implementation too): nearest-neighbour pyramid halving x/y.
    """
    import zarr
    from ome_zarr.format import FormatV04, FormatV05
    from ome_zarr.writer import write_multiscale

    fmt = FormatV05() if version == "0.5" else FormatV04()
    if isinstance(root, (str, os.PathLike)):
        path = os.path.join(str(root), name)
        group = zarr.open_group(path, mode="w", zarr_format=3 if version == "0.5" else 2)
    else:   # a zarr store (gs:// through storage.Destination.zarr_store)
        path = None
        group = zarr.open_group(root, mode="w", zarr_format=3 if version == "0.5" else 2)
    transforms = []
    for level in range(levels):
        factor = 2 ** level
        transforms.append([{"type": "scale", "scale": [1.0, 1.0, z_size,
                                                        pixel_size[1] * factor,
                                                        pixel_size[0] * factor]}])
    axes = [{"name": "t", "type": "time"}, {"name": "c", "type": "channel"},
            {"name": "z", "type": "space", "unit": "micrometer"},
            {"name": "y", "type": "space", "unit": "micrometer"},
            {"name": "x", "type": "space", "unit": "micrometer"}]
    pyramid = [data[..., ::2 ** i, ::2 ** i] for i in range(levels)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        write_multiscale(pyramid, group, axes=axes, fmt=fmt,
                         coordinate_transformations=transforms,
                         storage_options={"chunks": (1, 1, 1) + tuple(chunks)})
    return path


def ramp(shape, dtype="uint16"):
    """Deterministic test pixels (t, c, z, y, x)."""
    import numpy as np
    return (np.arange(int(np.prod(shape)), dtype="uint64") % 65521).astype(dtype).reshape(shape)




def image_pixels(image_id: int, catalogue=None):
    """The dev server's full-resolution pixels of an image, (t, c, z, y, x)."""
    import numpy as np

    from test_infra.omero_devserver.catalogue import load_catalogue
    from test_infra.omero_devserver.pixels import expected_plane
    cat = load_catalogue(catalogue)
    px = cat.images[image_id].pixels
    planes = [[[expected_plane(image_id, z, c, t) for z in range(px.size_z)]
               for c in range(px.size_c)] for t in range(px.size_t)]
    return np.asarray(planes)
