"""Opening a destination as a zarr store, counting what is written, and a few
synchronous key helpers for small objects (metadata, the resume record).

A destination is a zarr ``Store`` (used as is), a local path (``LocalStore``: atomic
writes by rename), or an fsspec URL such as ``gs://bucket/x.ome.zarr`` /
``memory://x`` (``FsspecStore``, with ``storage_options``). The writer streams to all
of them the same way; nothing is staged locally.
"""

from __future__ import annotations

import errno
import json
import os
import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from zarr.abc.store import Store
from zarr.core.buffer import Buffer, default_buffer_prototype
from zarr.core.sync import sync
from zarr.storage import FsspecStore, LocalStore, WrapperStore

from .errors import NoSpaceError, StoreError

if TYPE_CHECKING:
    from typing import Self  # Python 3.11

Dest = str | os.PathLike[str] | Store


def is_url(dest: str) -> bool:
    return "://" in dest and not dest.startswith("file://")


def open_store(dest: Dest, storage_options: dict[str, Any] | None = None,
               read_only: bool = False) -> tuple[Store, str]:
    """(store, printable url) for a destination; StoreError if it cannot be opened."""
    if isinstance(dest, Store):
        return dest, _store_url(dest)
    text = os.fspath(dest)
    try:
        if is_url(text):
            store = FsspecStore.from_url(text, storage_options=storage_options or {},
                                         read_only=read_only)
            return store, text
        path = text[len("file://"):] if text.startswith("file://") else text
        if not read_only:
            os.makedirs(path, exist_ok=True)
        return LocalStore(path, read_only=read_only), os.path.abspath(path)
    except (OSError, ValueError, ImportError) as exc:
        raise _destination_error(exc, text) from exc


def _store_url(store: Store) -> str:
    inner = getattr(store, "_store", None)
    if inner is not None and isinstance(store, WrapperStore):
        return _store_url(inner)
    if isinstance(store, LocalStore):
        return str(store.root)
    if isinstance(store, FsspecStore):
        proto = store.fs.protocol
        proto = proto[0] if isinstance(proto, (tuple, list)) else proto
        return f"{proto}://{store.path}"
    return repr(store)


def local_root(store: Store) -> str | None:
    """The directory of a local store (also through wrappers), else None."""
    inner = getattr(store, "_store", None)
    if inner is not None and isinstance(store, WrapperStore):
        return local_root(inner)
    return str(store.root) if isinstance(store, LocalStore) else None


def _destination_error(exc: BaseException, where: str) -> StoreError:
    if isinstance(exc, StoreError):
        return exc
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return NoSpaceError(f"no space left on the destination writing {where}")
    if isinstance(exc, OSError) and exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return StoreError(f"destination not writable: {where} ({exc.strerror})")
    msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return StoreError(f"cannot write {where}: {msg}")


class CountingStore(WrapperStore[Store]):
    """Counts the objects (distinct keys) and bytes written, and turns store write
    failures into ``StoreError`` / ``NoSpaceError`` with one-line messages. Keys
    containing any of ``uncounted`` (the resume record) are written but not counted."""

    def __init__(self, store: Store, uncounted: Iterable[str] = ()) -> None:
        super().__init__(store)
        self._keys: set[str] = set()
        self.bytes = 0
        self.uncounted = tuple(uncounted)
        self._lock = threading.Lock()

    def _with_store(self, store: Store) -> Self:
        return type(self)(store, self.uncounted)

    async def set(self, key: str, value: Buffer) -> None:
        try:
            await self._store.set(key, value)
        except StoreError:
            raise
        except Exception as exc:       # any store failure is a destination problem
            raise _destination_error(exc, key) from exc
        self.count(key, len(value))

    def count(self, key: str, nbytes: int) -> None:
        """Record an object written without ``set`` (the shard sinks write files and
        uploads directly), with the same bookkeeping as ``set``."""
        if not any(p in key for p in self.uncounted):
            with self._lock:
                self._keys.add(key)
                self.bytes += nbytes

    @property
    def objects(self) -> int:
        return len(self._keys)


# -- small synchronous helpers -----------------------------------------------------------

def get_bytes(store: Store, key: str) -> bytes | None:
    buf = sync(store.get(key, prototype=default_buffer_prototype()))
    return None if buf is None else buf.to_bytes()


def get_json(store: Store, key: str) -> Any:
    """The JSON document at ``key`` (any JSON value), None when there is none."""
    b = get_bytes(store, key)
    return None if b is None else json.loads(b)


def set_bytes(store: Store, key: str, data: bytes) -> None:
    try:
        sync(store.set(key, default_buffer_prototype().buffer.from_bytes(data)))
    except StoreError:
        raise
    except Exception as exc:
        raise _destination_error(exc, key) from exc


def set_json(store: Store, key: str, obj: Any) -> None:
    set_bytes(store, key, json.dumps(obj, indent=2).encode())


def list_prefix(store: Store, prefix: str) -> list[str]:
    async def collect() -> list[str]:
        return [k async for k in store.list_prefix(prefix)]

    return sync(collect())


def any_key(store: Store, prefix: str) -> bool:
    """Whether anything at all exists under ``prefix`` (stops at the first key)."""
    async def first() -> bool:
        async for _ in store.list_prefix(prefix):
            return True
        return False

    return sync(first())


def delete_prefix(store: Store, prefix: str) -> None:
    """Delete every key under ``prefix`` (a ``/``-terminated folder, or '' for all)."""
    if prefix:
        sync(store.delete_dir(prefix.rstrip("/")))
    else:
        sync(store.clear())


def delete_key(store: Store, key: str) -> None:
    sync(store.delete(key))


def join(*parts: str) -> str:
    return "/".join(p.strip("/") for p in parts if p and p.strip("/"))
