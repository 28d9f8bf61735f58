"""bioformats2raw command lines with the same NGFF settings as a local conversion.

Options used (glencoesoftware/bioformats2raw Converter.java, 0.12; picocli, so option
order does not matter):

  INPUT OUTPUT                      positional: file to convert, output Zarr folder
  --ngff-version 0.4|0.5            0.5 writes Zarr v3 (default 0.4; new in 0.12.0)
  -c/--compression raw|zlib|blosc|gzip|zstd
                                    gzip and zstd need 0.5; zlib is Zarr v2 only
  --compression-properties K=V      repeatable; blosc: cname, clevel, shuffle, blocksize;
                                    zlib/gzip: level (0-9); zstd: level (-7..22), checksum
  --tile-width/--tile-height N      chunk size in X/Y (also the read tile size)
  --chunk-depth N                   chunk size in Z
  --shard-width/--shard-height/--shard-depth N   shard size (Zarr v3 only; multiples of
                                    the chunk). Defaults 1024 x 1024 x 1: a 0.5 output is
                                    sharded unless the shard is given as the chunk, so
                                    0.5 command lines always give all three.
  --resolutions N | --target-min-size N          pyramid levels
  --max-workers N, --series 0,1,... --memo-directory DIR, --overwrite
  --log-level LEVEL                 WARN: at INFO it logs several lines per chunk
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Bf2rawOptions", "COMPRESSIONS"]

COMPRESSIONS = ("raw", "zlib", "blosc", "gzip", "zstd")
V3_ONLY = ("gzip", "zstd")
V2_ONLY = ("zlib",)


@dataclass(frozen=True)
class Bf2rawOptions:
    """Conversion settings, as bioformats2raw understands them. Build one from the
    plugin's local settings with `from_settings()` so both paths agree."""

    ngff_version: str = "0.5"
    compression: str = "blosc"
    compression_properties: tuple[tuple[str, str], ...] = ()
    tile_width: int = 1024
    tile_height: int = 1024
    chunk_depth: int = 1
    shard_width: int | None = None
    shard_height: int | None = None
    shard_depth: int | None = None
    resolutions: int | None = None
    target_min_size: int | None = None
    max_workers: int | None = None
    series: tuple[int, ...] | None = None
    memo_directory: str = "/tmp"
    log_level: str = "WARN"
    extra_args: tuple[str, ...] = field(default=())

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
        for name in ("tile_width", "tile_height", "chunk_depth"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")
        shards = (self.shard_width, self.shard_height, self.shard_depth)
        if any(s is not None for s in shards):
            if self.ngff_version != "0.5":
                raise ValueError("sharding needs NGFF 0.5 (Zarr v3)")
            for shard, chunk, axis in zip(shards, (self.tile_width, self.tile_height,
                                                   self.chunk_depth), "XYZ"):
                if shard is not None and (shard <= 0 or shard % chunk):
                    raise ValueError(f"shard size {shard} in {axis} is not a multiple of "
                                     f"the chunk size {chunk}")
        if self.resolutions is not None and self.target_min_size is not None:
            raise ValueError("give either resolutions or target_min_size")

    @classmethod
    def from_settings(cls, ngff_version: str = "0.5", codec: str = "blosc-zstd",
                      level: int | None = None, chunk: int | None = None,
                      shard: int | None = None, min_level_size: int | None = None,
                      workers: int | None = None, **kwargs) -> Bf2rawOptions:
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
        if shard and ngff_version == "0.5":   # none asked: one chunk per shard (shards())
            shard_kw = dict(shard_width=shard, shard_height=shard)
        return cls(ngff_version=ngff_version, compression=compression,
                   compression_properties=tuple(props), tile_width=tile, tile_height=tile,
                   target_min_size=min_level_size, max_workers=workers, **shard_kw,
                   **kwargs)

    def shards(self) -> tuple[int, int, int] | None:
        """(width, height, depth) of the shards bioformats2raw is told to write: the
        chunk where none was given (unsharded); None for Zarr v2 (0.4)."""
        if self.ngff_version != "0.5":
            return None
        return (self.shard_width or self.tile_width, self.shard_height or self.tile_height,
                self.shard_depth or self.chunk_depth)

    def args(self, input_path: str, output_path: str) -> list:
        """The argument list (no shell involved, so paths need no quoting)."""
        a = [input_path, output_path, "--ngff-version", self.ngff_version,
             "--compression", self.compression]
        for key, value in self.compression_properties:
            a += ["--compression-properties", f"{key}={value}"]
        a += ["--tile-width", str(self.tile_width), "--tile-height", str(self.tile_height),
              "--chunk-depth", str(self.chunk_depth)]
        shards = self.shards()
        if shards:
            a += ["--shard-width", str(shards[0]), "--shard-height", str(shards[1]),
                  "--shard-depth", str(shards[2])]
        for flag, value in (("--resolutions", self.resolutions),
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
                "shard": list(self.shards() or ()),
                "levels": [self.resolutions, self.target_min_size],
                "series": list(self.series or ()), "extra": list(self.extra_args)}
