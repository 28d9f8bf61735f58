"""bioformats2raw command lines with the same NGFF settings as a local conversion.

Options used (checked against glencoesoftware/bioformats2raw's Converter and its CLI
tests, 0.12 era; picocli, so option order does not matter):

  INPUT OUTPUT                      positional: file to convert, output Zarr folder
  --ngff-version 0.4|0.5            0.5 writes Zarr v3 (default 0.4)
  -c/--compression raw|zlib|blosc|gzip|zstd
                                    gzip and zstd need 0.5; zlib is Zarr v2 only
  --compression-properties K=V      repeatable; blosc: cname, clevel, shuffle, blocksize;
                                    zlib/gzip: level (0-9); zstd: level (-7..22), checksum
  --tile-width/--tile-height N      chunk size in X/Y (also the read tile size)
  --chunk-depth N                   chunk size in Z
  --shard-width/--shard-height/--shard-depth N   shard size (0.5 only; multiples of the chunk)
  --resolutions N | --target-min-size N          pyramid levels
  --max-workers N, --series 0,1,... --memo-directory DIR, --overwrite, --log-level LEVEL
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Tuple

__all__ = ["Bf2rawOptions", "DEFAULT_IMAGE", "COMPRESSIONS"]

# the OME-built image (conda package + micromamba); its entrypoint runs bioformats2raw
DEFAULT_IMAGE = "docker.io/openmicroscopy/bioformats2raw:0.12.1"

COMPRESSIONS = ("raw", "zlib", "blosc", "gzip", "zstd")
V3_ONLY = ("gzip", "zstd")
V2_ONLY = ("zlib",)


@dataclass(frozen=True)
class Bf2rawOptions:
    """Conversion settings, as bioformats2raw understands them. Build one from the
    plugin's local settings with `from_settings()` so both paths agree."""

    ngff_version: str = "0.5"
    compression: str = "blosc"
    compression_properties: Tuple[Tuple[str, str], ...] = ()
    tile_width: int = 1024
    tile_height: int = 1024
    chunk_depth: int = 1
    shard_width: Optional[int] = None
    shard_height: Optional[int] = None
    shard_depth: Optional[int] = None
    resolutions: Optional[int] = None
    target_min_size: Optional[int] = None
    max_workers: Optional[int] = None
    series: Optional[Tuple[int, ...]] = None
    memo_directory: str = "/tmp"
    log_level: str = "INFO"
    extra_args: Tuple[str, ...] = field(default=())

    def __post_init__(self):
        self.validate()

    def validate(self) -> None:
        if self.ngff_version not in ("0.4", "0.5"):
            raise ValueError(f"bioformats2raw writes NGFF 0.4 or 0.5, not {self.ngff_version}")
        if self.compression not in COMPRESSIONS:
            raise ValueError(f"compression {self.compression!r}: one of {', '.join(COMPRESSIONS)}")
        if self.ngff_version == "0.4" and self.compression in V3_ONLY:
            raise ValueError(f"{self.compression} needs NGFF 0.5 (Zarr v3)")
        if self.ngff_version == "0.5" and self.compression in V2_ONLY:
            raise ValueError("zlib is Zarr v2 only: use gzip with NGFF 0.5")
        shards = (self.shard_width, self.shard_height, self.shard_depth)
        if any(s is not None for s in shards):
            if self.ngff_version != "0.5":
                raise ValueError("sharding needs NGFF 0.5 (Zarr v3)")
            for shard, chunk, axis in zip(shards, (self.tile_width, self.tile_height,
                                                   self.chunk_depth), "XYZ"):
                if shard is not None and (shard <= 0 or shard % chunk):
                    raise ValueError(f"shard size {shard} in {axis} is not a multiple of "
                                     f"the chunk size {chunk}")
        for name in ("tile_width", "tile_height", "chunk_depth"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")
        if self.resolutions is not None and self.target_min_size is not None:
            raise ValueError("give either resolutions or target_min_size")

    @classmethod
    def from_settings(cls, ngff_version: str = "0.5", codec: str = "blosc-zstd",
                      level: Optional[int] = None, chunk: Optional[int] = None,
                      shard: Optional[int] = None, min_level_size: Optional[int] = None,
                      workers: Optional[int] = None, **kwargs) -> "Bf2rawOptions":
        """Map the plugin's conversion settings (codec names like ``zstd``, ``gzip``,
        ``blosc``, ``blosc-zstd``, ``blosc-lz4``, ``none``; chunk and shard edge in
        pixels) to bioformats2raw options. Where bioformats2raw lacks the codec for the
        Zarr version (zstd/gzip in Zarr v2), the nearest one is used: blosc with zstd,
        zlib."""
        codec = (codec or "none").lower()
        props = []
        if codec in ("none", "raw", "null"):
            compression = "raw"
        elif codec.startswith("blosc"):
            compression = "blosc"
            cname = codec.partition("-")[2]
            if cname:
                props.append(("cname", cname))
            if level is not None:
                props.append(("clevel", str(level)))
        elif codec in ("zstd", "gzip", "zlib"):
            if ngff_version == "0.4":
                compression = {"zstd": "blosc", "gzip": "zlib", "zlib": "zlib"}[codec]
                if codec == "zstd":
                    props.append(("cname", "zstd"))
            else:
                compression = "gzip" if codec == "zlib" else codec
            if level is not None:
                props.append(("clevel" if compression == "blosc" else "level", str(level)))
        else:
            raise ValueError(f"codec {codec!r} has no bioformats2raw equivalent")
        tile = chunk or 1024
        shard_kw = {}
        if shard and ngff_version == "0.5":
            shard_kw = dict(shard_width=shard, shard_height=shard)
        return cls(ngff_version=ngff_version, compression=compression,
                   compression_properties=tuple(props), tile_width=tile, tile_height=tile,
                   target_min_size=min_level_size, max_workers=workers, **shard_kw,
                   **kwargs)

    def args(self, input_path: str, output_path: str) -> list:
        """The argument list (no shell involved, so paths need no quoting)."""
        a = [input_path, output_path, "--ngff-version", self.ngff_version,
             "--compression", self.compression]
        for key, value in self.compression_properties:
            a += ["--compression-properties", f"{key}={value}"]
        a += ["--tile-width", str(self.tile_width), "--tile-height", str(self.tile_height),
              "--chunk-depth", str(self.chunk_depth)]
        for flag, value in (("--shard-width", self.shard_width),
                            ("--shard-height", self.shard_height),
                            ("--shard-depth", self.shard_depth),
                            ("--resolutions", self.resolutions),
                            ("--target-min-size", self.target_min_size),
                            ("--max-workers", self.max_workers)):
            if value is not None:
                a += [flag, str(value)]
        if self.series:
            a += ["--series", ",".join(str(s) for s in self.series)]
        if self.memo_directory:
            a += ["--memo-directory", self.memo_directory]
        a += ["--overwrite", "--log-level", self.log_level]
        return a + list(self.extra_args)

    def canonical(self) -> dict:
        """What identifies the conversion (for deterministic job ids)."""
        return {"ngff": self.ngff_version, "compression": self.compression,
                "props": [list(p) for p in self.compression_properties],
                "tile": [self.tile_width, self.tile_height, self.chunk_depth],
                "shard": [self.shard_width, self.shard_height, self.shard_depth],
                "levels": [self.resolutions, self.target_min_size],
                "series": list(self.series or ()), "extra": list(self.extra_args)}
