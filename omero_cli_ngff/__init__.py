"""omero-cli-ngff: publish OMERO images as OME-Zarr (OME-NGFF) on object storage."""

__version__ = "0.1.0"
