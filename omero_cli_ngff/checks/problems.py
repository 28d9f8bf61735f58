"""What a check finds: a `Problem` (an error, or a warning worth knowing) about one copy."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ERROR, WARNING = "error", "warning"


@dataclass
class Problem:
    """One thing wrong (error) or worth knowing (warning) about one published copy."""

    code: str
    message: str
    severity: str = ERROR
    annotation_id: int | None = None
    url: str | None = None
    # True when the annotation may be removed by --fix: the data is definitely gone
    # (the metadata document answers 404) or corrupt (invalid JSON / NGFF).
    fixable: bool = False

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "severity": self.severity, "message": self.message,
                "annotation_id": self.annotation_id, "url": self.url,
                "fixable": self.fixable}
