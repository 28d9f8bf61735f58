"""Defaults shared by the commands (light: the CLI imports it at start-up)."""

DEFAULT_NAMESPACE = "jax.org/public/zarr"
