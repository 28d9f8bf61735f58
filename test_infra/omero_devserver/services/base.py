"""What every service servant shares: its server, its session, the caller of a call."""

from __future__ import annotations

import omero

from .. import sudo
from ..model import Builder
from ..security import Caller


def read_only_error() -> "omero.ApiUsageException":
    """What a read-only OMERO answers to a write (EventHandler.invoke)."""
    return omero.ApiUsageException(None, None, "This instance is read-only")


class Service:
    def __init__(self, server, session):
        self.server = server
        self.session = session

    @property
    def cat(self):
        return self.server.catalogue

    @property
    def store(self):
        return self.server.store

    def caller(self, current) -> Caller:
        ctx = current.ctx or {}
        group = ctx.get("omero.group")
        try:
            group = int(group) if group not in (None, "") else None
        except ValueError:
            raise omero.ApiUsageException(None, None, "bad omero.group %r" % group)
        caller = Caller(self.session.user, self.session.group, group, self.cat)
        caller.check_group_context()
        return caller

    def guard_call(self, current):
        """What OMERO checks before every service method (ice.make_servant calls it):
        a group-sudo session's group (BasicSecuritySystem.loadEventContext)."""
        group = (current.ctx or {}).get("omero.group")
        try:
            group = int(group) if group not in (None, "") else self.session.group
        except ValueError:
            raise omero.ApiUsageException(None, None, "bad omero.group %r" % group)
        sudo.check_group(self.session, group)

    def readable_image(self, pid, current):
        """The image of pixels `pid` if the caller may read it."""
        img = self.cat.pixels.get(pid)
        if img is None or not self.caller(current).can_read(img.owner, img.group):
            raise omero.ValidationException(
                None, None, "No row with the given identifier exists: [Pixels#%d]" % pid)
        return img

    @staticmethod
    def check_pyramid(img):
        """Opening the pixel buffer of an image whose pyramid is being built
        (PixelsService.handleMissingPyramid)."""
        if img.pixels.pyramid_pending:
            pid = img.pixels.id
            raise omero.MissingPyramidException(
                "", "ome.conditions.MissingPyramidException",
                "Pixels:%d: the pyramid is being built, try again later" % pid, 30000, pid)

    def readable_pixels(self, pid, current):
        """The image of pixels `pid` if the caller may read it and its pyramid is ready,
        with the exceptions a real server raises otherwise."""
        img = self.readable_image(pid, current)
        self.check_pyramid(img)
        return img

    def builder(self, current, caller=None) -> Builder:
        return Builder(self.cat, caller or self.caller(current), self.store)

    def refuse_if_read_only(self):
        """A write on a read-only server: omero-server EventHandler.invoke refuses every
        method whose transaction is not read-only, before the method runs."""
        if self.server.options.read_only:
            raise read_only_error()

    # every stateless service answers these the same way
    def getCurrentEventContext(self, current):
        from ..sessions import event_context
        return event_context(self.session, self.cat)

    def close(self, current):
        pass
