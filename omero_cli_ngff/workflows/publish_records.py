"""The records of a publish run: its options, one row per image, the result and its
exit code, and the progress bar of bytes written."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from .. import exit_codes
from ..model.objects import ObjectRef
from ..model.reporting import Progress
from .failures import summary_code
from .plan import FAIL, REFUSE, PublishPlan
from .publish_options import PublishChoices

CLAIMED = "claimed"                  # the status of an image another live run holds


@dataclass(kw_only=True)
class PublishOptions(PublishChoices):
    parallel_images: int = 2        # images converted at once


@dataclass
class PublishRow:
    """What became of one image."""

    plan: PublishPlan
    status: str
    message: str = ""
    bytes: int | None = None
    seconds: float = 0.0
    code: int = exit_codes.OK


@dataclass
class PublishResult:
    plans: list[PublishPlan] = field(default_factory=list)
    rows: list[PublishRow] = field(default_factory=list)     # empty for a dry run
    missing: list[ObjectRef] = field(default_factory=list)
    dry_run: bool = False
    index: Any = None          # workflows.index.IndexUpdate, when the index was updated

    @property
    def code(self) -> int:
        if self.rows and not self.missing and all(r.status == CLAIMED for r in self.rows):
            return exit_codes.CLAIMED        # every image is another live run's
        codes = {exit_codes.NOT_FOUND} if self.missing else set()
        if self.dry_run:
            codes |= {p.code for p in self.plans if p.action in (REFUSE, FAIL)}
        return summary_code(codes | {row.code for row in self.rows})


def message(*parts: str) -> str:
    """The non-empty parts of a row's message, joined."""
    return "; ".join(p for p in parts if p)


class Bytes:
    """Bytes written across the images converted at once, for one progress bar."""

    def __init__(self, progress: Progress, task: Any):
        self.progress = progress
        self.task = task
        self.by_image: dict[int, int] = {}
        self.lock = threading.Lock()

    def set(self, image_id: int, value: int) -> None:
        with self.lock:
            self.by_image[image_id] = value
            self.progress.update(self.task, completed=sum(self.by_image.values()))
