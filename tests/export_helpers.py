"""Helpers of the export tests: run `omero ngff export` in-process, compare with OMERO."""

from __future__ import annotations

import json

import numpy as np


def run_export(server, capsys, *args, user="root"):
    """(exit code, result rows, stderr) of `omero ngff export ... --style json`."""
    from omero.cli import CLI, NonZeroReturnCode

    cli = CLI()
    cli.loadplugins()
    argv = ["ngff", "export", *args, "--style", "json", *server.cli_login_args(user)]
    try:
        cli.invoke(argv, strict=True)
    except NonZeroReturnCode:
        pass
    out, err = capsys.readouterr()
    lines = [line for line in out.splitlines() if line.startswith("[")]
    return cli.rv, (json.loads(lines[-1]) if lines else []), err


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
