"""`--log-file`: a full log of a long run (the console keeps to one line per problem)."""

from __future__ import annotations

import logging

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def start(path: str | None) -> logging.Handler | None:
    if not path:
        return None
    handler = logging.FileHandler(path)
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.setLevel(logging.DEBUG)
    logger = logging.getLogger("omero_cli_ngff")
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    return handler


def stop(handler: logging.Handler | None) -> None:
    if handler is not None:
        logging.getLogger("omero_cli_ngff").removeHandler(handler)
        handler.close()
