"""Who owns a copy in a destination, and the one rule about writing and deleting there.

Every root the plugin creates (an image's or a plate's, a bioformats2raw root of a
fileset) carries an ownership record, ``<root>/.omero-ngff-owner.json``, written
before its first data object: the OMERO server (its database UUID), the object
(``Image:5``, ``Plate:2``, ``Fileset:10``), the namespace and the run (an opaque id).
No host, user or path: the record is public like the data.

The rule, enforced here and nowhere else: a root is written into, resumed, cleared
or removed only when its record names the same server and object, or when nothing
is there (then the record is created first, exclusively: of two runs creating one
root, one wins and the other is refused). Data without a record is refused unless
adopted (`take(..., adopt=True)`, after the caller has the evidence or the operator's
word). A root inside another root, or a tree holding another root's record, is never
written or removed. Refusals are `NotOwned` (exit code DESTINATION), one line naming
both objects.
"""

from __future__ import annotations

import json
import posixpath
import time
from dataclasses import asdict, dataclass

from . import failpoints
from .base import OWNER_RECORD, Destination
from .errors import DestinationError
from .paths import clean_rel

__all__ = ["Owner", "RootState", "NotOwned", "OWNER_RECORD", "inspect", "take",
           "clear", "remove", "record_path"]

KIND = "omero-ngff/owner"
TAKEN, CREATED, ADOPTED = "owned", "created", "adopted"


class NotOwned(DestinationError):
    """A root that is not ours to write or remove: refused, one line."""

    kind = "not_owned"


@dataclass(frozen=True)
class Owner:
    """What an ownership record says: server (database UUID), object, namespace, run."""

    server: str
    object: str
    namespace: str = ""
    run: str = ""

    def same_object(self, other: Owner | None) -> bool:
        return other is not None and (other.server, other.object) == (self.server,
                                                                      self.object)

    def describe(self, me: Owner | None = None) -> str:
        """``Image:7``, or with its server when that is not ``me``'s."""
        if me is not None and me.server == self.server:
            return self.object
        return f"{self.object} of OMERO server {self.server or 'unknown'}"

    def to_bytes(self) -> bytes:
        doc = {"kind": KIND, **asdict(self), "created": time.strftime(
            "%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        return json.dumps(doc, sort_keys=True).encode()

    @classmethod
    def parse(cls, data: bytes | None) -> Owner:
        """The record's owner; an unreadable record names an unknown owner."""
        try:
            doc = json.loads(data or b"")
            if not isinstance(doc, dict) or doc.get("kind") != KIND:
                raise ValueError("not an ownership record")
            return cls(str(doc["server"]), str(doc["object"]),
                       str(doc.get("namespace") or ""), str(doc.get("run") or ""))
        except (ValueError, KeyError, TypeError):
            return UNKNOWN


UNKNOWN = Owner("", "an unreadable ownership record")


@dataclass
class RootState:
    """What is at a root: its record (and its version), whether it holds anything, and
    the enclosing root holding it, if any (``container``: its path and owner)."""

    root: str
    record: Owner | None = None
    version: str | None = None
    has_data: bool = False
    container: tuple[str, Owner] | None = None

    @property
    def empty(self) -> bool:
        return self.record is None and not self.has_data and self.container is None

    def owned_by(self, owner: Owner) -> bool:
        return self.container is None and owner.same_object(self.record)

    @property
    def unrecorded(self) -> bool:
        return self.record is None and self.has_data and self.container is None


def record_path(root: str) -> str:
    return f"{clean_rel(root)}/{OWNER_RECORD}"


# folder -> its record's owner (None: no record), for the folders above roots, which
# the roots of one run share (a plan over many images reads each once)
Above = dict[str, "Owner | None"]


def inspect(dest: Destination, root: str, above: Above | None = None) -> RootState:
    """The state of ``root``: a few reads (its record, its existence, the records of
    the folders above it, remembered in ``above`` when given)."""
    root = clean_rel(root)
    state = RootState(root)
    got = dest.read_versioned(record_path(root))
    if got is not None:
        state.record, state.version, state.has_data = Owner.parse(got.data), got.version, True
    else:
        state.has_data = dest.exists(root)
    state.container = _container(dest, root, {} if above is None else above)
    return state


def _container(dest: Destination, root: str, above: Above) -> tuple[str, Owner] | None:
    """The nearest folder above ``root`` (the destination's root included) that is
    itself a recorded root."""
    parts = root.split("/")[:-1]
    for i in range(len(parts), -1, -1):
        folder = "/".join(parts[:i])
        if folder not in above:
            data = dest.read_bytes(f"{folder}/{OWNER_RECORD}" if folder else OWNER_RECORD)
            above[folder] = None if data is None else Owner.parse(data)
        owner = above[folder]
        if owner is not None:
            return folder, owner
    return None


def refusal(dest: Destination, state: RootState, owner: Owner, how: str = "") -> str:
    """One line: why ``owner`` may not have ``state.root``, and how to proceed."""
    url = dest.join(state.root)
    hint = f": {how}" if how else ""
    if state.container is not None:
        above, other = state.container
        return (f"{url} is inside {dest.join(above)}, the copy of "
                f"{other.describe(owner)}; not writing {owner.object} there{hint}")
    if state.record is not None and not owner.same_object(state.record):
        return (f"{url} holds the copy of {state.record.describe(owner)}, not of "
                f"{owner.object}{hint}")
    return (f"{url} holds data without an ownership record (not written for "
            f"{owner.object} by this tool, or written before records existed): check "
            f"it, then pass --adopt{'; or ' + how if how else ''}")


def take(dest: Destination, root: str, owner: Owner, adopt: bool = False,
         how: str = "") -> str:
    """Make ``root`` ours before writing into it: CREATED (nothing was there: our
    record is written first), TAKEN (already ours) or ADOPTED (data without a record,
    and ``adopt``). Raises NotOwned otherwise."""
    for _ in range(3):
        state = inspect(dest, root)
        if state.owned_by(owner):
            return TAKEN
        if not (state.empty or (state.unrecorded and adopt)):
            raise NotOwned(refusal(dest, state, owner, how))
        if state.unrecorded:
            _refuse_nested(dest, state.root, owner, "adopting")
        if dest.create_exclusive(record_path(state.root), owner.to_bytes()) is not None:
            return ADOPTED if state.has_data else CREATED
    raise NotOwned(f"{dest.join(root)}: its ownership record keeps changing (another "
                   "run?); try again")


def _refuse_nested(dest: Destination, root: str, owner: Owner, doing: str) -> list[str]:
    """Every object under ``root``; NotOwned when another recorded root is among them."""
    mine = record_path(root)
    names = dest.list_tree(root)
    nested = [n for n in names if posixpath.basename(n) == OWNER_RECORD and n != mine]
    if nested:
        other = Owner.parse(dest.read_bytes(nested[0]))
        raise NotOwned(f"not {doing} {dest.join(root)}: it holds the copy of "
                       f"{other.describe(owner)} at {dest.join(posixpath.dirname(nested[0]))}")
    return [n for n in names if n != mine]


def _owned_tree(dest: Destination, root: str, owner: Owner) -> tuple[RootState, list[str]]:
    """The state of a root that must be ``owner``'s, and every object under it;
    NotOwned when it is not ours or holds another recorded root."""
    state = inspect(dest, root)
    if not state.owned_by(owner):
        raise NotOwned(refusal(dest, state, owner))
    return state, _refuse_nested(dest, state.root, owner, "removing")


def clear(dest: Destination, root: str, owner: Owner) -> int:
    """Remove the data of our root, keeping its record (a fresh start): objects removed."""
    _, data = _owned_tree(dest, root, owner)
    dest.delete_objects(data)
    return len(data)


def remove(dest: Destination, root: str, owner: Owner) -> int:
    """Remove our root: its data, then its record (an interrupted removal leaves the
    record, so that a rerun may finish it). Objects removed; 0 when nothing was there."""
    if not dest.exists(root):
        return 0
    state, data = _owned_tree(dest, root, owner)
    half = len(data) // 2
    dest.delete_objects(data[:half])
    failpoints.reach("mid-delete")
    dest.delete_objects(data[half:])
    assert state.version is not None
    dest.delete_if(record_path(state.root), state.version)
    return len(data) + 1
