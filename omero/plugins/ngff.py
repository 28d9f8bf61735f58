"""The `omero ngff` plugin: a thin shim; everything lives in the omero_cli_ngff package."""

from omero_cli_ngff.cli.control import HELP, NgffControl

register("ngff", NgffControl, HELP)  # type: ignore # noqa: F821 (given by the CLI loader)
