"""Helpers of the export tests: run `omero ngff export` in-process, compare with OMERO."""

from __future__ import annotations

import numpy as np

from tests.helpers.cli import invoke, json_rows


def run_export(server, capsys, *args, user="root"):
    """(exit code, result rows, stderr) of `omero ngff export ... --style json`."""
    rv, out, err = invoke(["ngff", "export", *args, "--style", "json",
                           *server.cli_login_args(user)], capsys)
    return rv, json_rows(out), err


def expected_level(server, image_id, level=0):
    """The image's pixels at a level, as the dev server's generator makes them (tczyx)."""
    image = server.catalogue.images[image_id]
    pix = image.pixels
    size_x, size_y = pix.level_sizes[level]
    planes = np.stack([
        np.stack([
            np.stack([server.expected_tile(image_id, z, c, t, 0, 0, size_x, size_y,
                                           level=level)
                      for z in range(pix.size_z)])
            for c in range(pix.size_c)])
        for t in range(pix.size_t)])
    return planes
