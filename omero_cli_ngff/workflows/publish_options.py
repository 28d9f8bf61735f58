"""What every publish is asked to do, locally or on a batch engine."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..model.annotations_meta import MetadataChoices
from ..model.index_entry import IndexChoices
from ..model.objects import ObjectRef
from ..ngff.spec import WriteOptions


@dataclass
class PublishChoices:
    refs: list[ObjectRef]
    write: WriteOptions
    template: str                   # where each copy goes under the destination
    namespace: str                  # of the annotation
    force: bool = False             # convert again even where a sound copy is published
    keep_old: bool = False          # keep the data an updated annotation left
    dry_run: bool = False           # plan only
    allow_private: bool = False     # publish images of private groups too
    adopt: bool = False             # take data found without an ownership record
    # ROIs as labels, annotations in the OME-XML (local conversion only)
    metadata: MetadataChoices = field(default_factory=MetadataChoices)
    # the public index beside the data (workflows/index.py)
    index: IndexChoices = field(default_factory=IndexChoices)
