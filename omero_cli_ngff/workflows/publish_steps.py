"""Steps of `publish` for one image that are not its conversion: finishing what an
interrupted run left, restoring an annotation over complete data, and making a target
root ours (a mixin of `publish.Publish`, split from it to keep modules small)."""

from __future__ import annotations

import logging
from typing import Any

from ..storage import ownership
from .old_copies import Outcome
from .plan import PUBLISH, PublishPlan
from .publish_records import PublishRow
from .publish_records import message as _message

log = logging.getLogger("omero_cli_ngff.workflows.publish")


class ImageSteps:
    """Needs the attributes of `Publish` (options, dest, plan_settings...)."""

    options: Any
    dest: Any
    plan_settings: Any

    def _clean_up(self, plan: PublishPlan) -> Outcome:
        """Remove what an interrupted run left (its journal says), if it is ours."""
        is_old = plan.journal is not None and plan.cleanup == plan.journal.old
        if self.options.keep_old and (is_old or plan.retire_url):
            return Outcome()
        if plan.retire_url:
            return self.old_copies().retire(plan.retire_url,
                                            self.plan_settings.owner(plan.record), plan.record)
        if not plan.cleanup:
            return Outcome()
        return self.old_copies().remove_root(
            self.dest, plan.cleanup, self.plan_settings.owner(plan.record), plan.record,
            plan.journal.old_url if is_old and plan.journal else None)

    def _restore(self, plan: PublishPlan) -> PublishRow | None:
        """Annotate complete data without converting; None when it must be converted
        after all (its check failed and no annotation points at it yet)."""
        from .publish_check import CheckFailed, CopyUnreadable

        assert plan.root is not None
        try:
            self.check(plan)
        except (CheckFailed, CopyUnreadable) as err:
            if plan.current is not None and plan.current.zarr_path == plan.url:
                raise
            log.info("Image:%s: %s: converting again", plan.image_id, err)
            plan.action = PUBLISH
            return None
        self._take(plan, evidence=True)
        date = None
        if plan.current is not None and plan.current.zarr_path == plan.url:
            date = plan.current.conversion_date
        self.annotate(plan, date)
        self._forget(plan)
        return PublishRow(plan, "restored", _message(
            *plan.notes, *(f.describe() for f in plan.foreign)))

    def _take(self, plan: PublishPlan, evidence: bool = False) -> str:
        """Make the target ours: its record first (adopting on --adopt, or on the
        evidence when ``evidence``: the image's own annotation points at it)."""
        assert plan.root is not None
        owner = self.plan_settings.owner(plan.record)
        if plan.adopt_target and not self.options.adopt:
            why = self.old_copies().evidence(self.dest, plan.root, plan.url or "",
                                             plan.record) if evidence else "no evidence"
            if why is not None:
                raise ownership.NotOwned(ownership.refusal(
                    self.dest, ownership.inspect(self.dest, plan.root), owner,
                    f"{why}; use another --path-template"))
        return ownership.take(self.dest, plan.root, owner, adopt=plan.adopt_target,
                              how="use another --path-template (e.g. with {image_id})")
