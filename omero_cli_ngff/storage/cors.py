"""Can browser viewers read the bucket? Evaluate a GCS bucket's CORS configuration
(the ``cors`` field of the JSON API bucket resource) against the origins of the
viewers people use on published OME-Zarr."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = ["VIEWER_ORIGINS", "NEEDED_HEADERS", "evaluate_cors", "CORS_EXAMPLE"]

# viewer name -> origin its pages are served from
VIEWER_ORIGINS = {
    "vizarr": "https://hms-dbmi.github.io",
    "neuroglancer": "https://neuroglancer-demo.appspot.com",
    "OME-NGFF validator": "https://ome.github.io",
}

# Sharded reads (NGFF 0.5) fetch the shard index with a suffix range ("bytes=-N"),
# which is not a CORS-safelisted request header: the browser sends a preflight and
# GCS must allow "Range". Content-Type is commonly listed too (GCS docs example).
NEEDED_HEADERS = ("Range", "Content-Type")

CORS_EXAMPLE = ('[{"origin": ["*"], "method": ["GET", "HEAD"], '
                '"responseHeader": ["Content-Type", "Range"], "maxAgeSeconds": 3600}]')


def _norm_origin(origin: str) -> str:
    return origin.strip().rstrip("/").lower()


def _rule_allows(rule: dict[str, Any], origin: str, method: str = "GET") -> bool:
    origins = [_norm_origin(o) for o in rule.get("origin") or []]
    methods = [m.strip().upper() for m in rule.get("method") or []]
    return ("*" in origins or _norm_origin(origin) in origins) and \
        ("*" in methods or method in methods)


def evaluate_cors(cors: list[Any] | None, bucket: str = "the bucket",
                  origins: dict[str, str] | None = None,
                  needed_headers: Iterable[str] = NEEDED_HEADERS) -> list[str]:
    """Warnings (strings) about viewers that could not read the bucket; [] when all can."""
    origins = VIEWER_ORIGINS if origins is None else origins
    needed = list(needed_headers)
    if not cors:
        names = ", ".join(origins)
        return [f"{bucket} has no CORS configuration: browser viewers ({names}) cannot "
                f"read the published images; set one, e.g. `gcloud storage buckets update "
                f"gs://BUCKET --cors-file=cors.json` with {CORS_EXAMPLE}"]
    no_rule: list[str] = []
    missing_by_headers: dict[tuple[str, ...], list[str]] = {}
    for name, origin in origins.items():
        rules = [r for r in cors if isinstance(r, dict) and _rule_allows(r, origin)]
        if not rules:
            no_rule.append(f"{name} ({origin})")
            continue
        allowed = {h.strip().lower() for r in rules for h in r.get("responseHeader") or []}
        if "*" in allowed:
            continue
        missing = tuple(h for h in needed if h.lower() not in allowed)
        if missing:
            missing_by_headers.setdefault(missing, []).append(name)
    warnings: list[str] = []
    if no_rule:
        warnings.append(f"CORS of {bucket} allows no GET from {', '.join(no_rule)}: "
                        "these viewers cannot read the published images")
    for headers, viewers in missing_by_headers.items():
        warnings.append(f"CORS of {bucket} does not list the header(s) {', '.join(headers)} "
                        f"for {', '.join(viewers)}: sharded (NGFF 0.5) reads use Range "
                        "requests that browsers preflight; add them to responseHeader")
    return warnings
