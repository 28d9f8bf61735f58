"""Annotation types of the catalogue: OMERO's classes, their value fields, their YAML.

Plain data, no Ice. Class names, hierarchy and value fields are OMERO's model (omero-model
``annotations.ome.xml``, as generated into omero-py's ``omero_model_*Annotation_ice.py``:
TagAnnotation and CommentAnnotation are TextAnnotations with ``textValue``;
BooleanAnnotation ``boolValue`` and TermAnnotation ``termValue`` are BasicAnnotations;
LongAnnotation ``longValue`` and DoubleAnnotation ``doubleValue`` are NumericAnnotations,
themselves BasicAnnotations; MapAnnotation ``mapValue`` is a list of NamedValue). Every
annotation has ``ns``, ``name`` and ``description``.

YAML, in an image's or a ROI's ``annotations:`` (``type`` defaults to MapAnnotation)::

  - {ns: openmicroscopy.org/omero/client/mapAnnotation, values: {stain: H&E}}
  - {type: TagAnnotation, textValue: tumour, ns: ..., description: ...}
  - {type: CommentAnnotation, textValue: "re-scanned 2024-05"}
  - {type: BooleanAnnotation, boolValue: true}
  - {type: LongAnnotation, longValue: 3, ns: openmicroscopy.org/omero/insight/rating}
  - {type: DoubleAnnotation, doubleValue: 0.25}
  - {type: TermAnnotation, termValue: "GO:0005634"}
  - {ref: 500}          # an annotation of the top-level ``annotations:`` list (shared)
"""

from __future__ import annotations

from typing import Optional

# OMERO class -> (value field, Python type of the value)
VALUE_FIELDS = {
    "TagAnnotation": ("textValue", str),
    "CommentAnnotation": ("textValue", str),
    "BooleanAnnotation": ("boolValue", bool),
    "LongAnnotation": ("longValue", int),
    "DoubleAnnotation": ("doubleValue", float),
    "TermAnnotation": ("termValue", str),
}
KINDS = ("MapAnnotation",) + tuple(VALUE_FIELDS)
# the abstract classes each kind is also an instance of (queries may name them)
SUPERCLASSES = {
    "MapAnnotation": (),
    "TagAnnotation": ("TextAnnotation",),
    "CommentAnnotation": ("TextAnnotation",),
    "BooleanAnnotation": ("BasicAnnotation",),
    "TermAnnotation": ("BasicAnnotation",),
    "LongAnnotation": ("NumericAnnotation", "BasicAnnotation"),
    "DoubleAnnotation": ("NumericAnnotation", "BasicAnnotation"),
}
CLASS_NAMES = KINDS + ("Annotation", "TextAnnotation", "BasicAnnotation",
                       "NumericAnnotation")
COMMON_KEYS = {"id", "owner", "group", "type", "ns", "name", "description"}


class AnnotationSpecError(ValueError):
    """An annotation spec is wrong (the catalogue adds where)."""


def is_a(kind: str, class_name: str) -> bool:
    """Whether an annotation of ``kind`` is an instance of OMERO class ``class_name``
    (HQL is polymorphic: ``from Annotation`` or ``from TextAnnotation`` include it)."""
    return (class_name in (kind, "Annotation")
            or class_name in SUPERCLASSES.get(kind, ()))


def parse(spec: dict) -> dict:
    """An annotation spec -> {kind, ns, name, description, values, value}."""
    kind = spec.get("type", "MapAnnotation")
    if kind not in KINDS:
        raise AnnotationSpecError("annotation type %r is not one of %s" % (kind, KINDS))
    value_key = "values" if kind == "MapAnnotation" else VALUE_FIELDS[kind][0]
    unknown = set(spec) - COMMON_KEYS - {value_key}
    if unknown:
        raise AnnotationSpecError("unknown %s keys %s" % (kind, sorted(unknown)))
    out = {"kind": kind, "ns": _opt(spec.get("ns")), "name": _opt(spec.get("name")),
           "description": _opt(spec.get("description")), "values": [], "value": None}
    if kind == "MapAnnotation":
        values = spec.get("values") or {}
        pairs = (list(values.items()) if isinstance(values, dict)
                 else [tuple(p) for p in values])
        out["values"] = [(str(k), str(v)) for k, v in pairs]
        return out
    if value_key not in spec:
        raise AnnotationSpecError("%s needs %s" % (kind, value_key))
    out["value"] = typed_value(kind, spec[value_key])
    return out


def typed_value(kind: str, v):
    want = VALUE_FIELDS[kind][1]
    ok = (isinstance(v, bool) if want is bool
          else isinstance(v, (int, float)) and not isinstance(v, bool) if want is float
          else isinstance(v, int) and not isinstance(v, bool) if want is int
          else isinstance(v, (str, int, float)) and not isinstance(v, bool))
    if not ok:
        raise AnnotationSpecError("%s %s must be a %s, not %r"
                                  % (kind, VALUE_FIELDS[kind][0], want.__name__, v))
    return want(v)


def _opt(v) -> Optional[str]:
    return None if v is None else str(v)
